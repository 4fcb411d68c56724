import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { jobFailure } from "../../core/results.js";

/** Where to publish and how to authenticate, resolved from the action's configuration. */
export interface RegistryTarget {
  /** The npm registry URL, ending in `/`. */
  registry: string;
  /** The `Authorization` header value for the registry. */
  authorization: string;
  /** Lines for the private `.npmrc` (registry-scoped auth). */
  npmrc: string[];
  /** A link to the repository (the action's entity). */
  repositoryUrl: string;
}

/** The kinds of registry the action talks to. */
export type RegistryKind = "artifactory" | "npm" | "npm-token";

const trim = (url: string) => url.replace(/\/+$/, "");

/** `//host:port/path/` — the key npm uses for registry-scoped settings. */
export function nerfDart(registry: string): string {
  const u = new URL(registry);
  return `//${u.host}${u.pathname.endsWith("/") ? u.pathname : `${u.pathname}/`}`;
}

async function request(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "manual" });
  } catch (cause) {
    throw jobFailure(
      "SystemUnavailable",
      `The registry at ${new URL(url).origin} could not be reached while ${what} (${(cause as Error & { cause?: { code?: string } }).cause?.code ?? (cause as Error).message}).`,
      { cause },
    );
  }
}

/**
 * Resolves the registry and its credentials. For Artifactory the npm repository is
 * `<host>/artifactory/api/npm/<RepoKey>/` and the credentials come from Artifactory's npm auth
 * endpoint (`GET /artifactory/api/npm/auth` with the user's password or API key), exactly what
 * `curl -u user:password …/api/npm/auth` gives a developer. For another npm registry the host
 * is the registry: basic auth from user and password, or the password as a bearer token.
 */
export async function resolveRegistry(options: {
  kind: RegistryKind;
  host: string;
  repoKey: string;
  userName: string;
  password: string;
  email: string | undefined;
  signal: AbortSignal;
}): Promise<RegistryTarget> {
  const host = trim(options.host);
  let url: URL;
  try {
    url = new URL(host);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw jobFailure(
      "ConfigurationError",
      `ArtifactoryHost must be an http(s) URL such as https://acme.jfrog.io (got ${JSON.stringify(options.host)}).`,
    );
  }
  const basic = `Basic ${Buffer.from(`${options.userName}:${options.password}`).toString("base64")}`;
  if (options.kind === "artifactory") {
    const registry = `${host}/artifactory/api/npm/${encodeURIComponent(options.repoKey)}/`;
    const res = await request(
      `${host}/artifactory/api/npm/auth`,
      { headers: { authorization: basic }, signal: options.signal },
      "fetching npm credentials from Artifactory",
    );
    if (res.status === 401 || res.status === 403) {
      throw jobFailure(
        "PermissionError",
        `Artifactory at ${url.origin} refused user ${options.userName} (HTTP ${res.status} from /artifactory/api/npm/auth): check UserName and Password (or API key).`,
      );
    }
    if (!res.ok) {
      throw jobFailure(
        res.status >= 500 ? "SystemUnavailable" : "ConfigurationError",
        `Artifactory at ${url.origin} answered HTTP ${res.status} to /artifactory/api/npm/auth.`,
      );
    }
    const text = await res.text();
    const auth = /^_auth\s*=\s*(\S+)/m.exec(text)?.[1];
    if (!auth) {
      throw jobFailure(
        "ConfigurationError",
        `${url.origin}/artifactory/api/npm/auth returned no _auth line: is ArtifactoryHost an Artifactory server?`,
      );
    }
    const email = /^email\s*=\s*(\S+)/m.exec(text)?.[1] ?? options.email;
    const key = nerfDart(registry);
    return {
      registry,
      authorization: `Basic ${auth}`,
      npmrc: [
        `${key}:_auth=${auth}`,
        `${key}:always-auth=true`,
        ...(email ? [`${key}:email=${email}`] : []),
      ],
      repositoryUrl: `${host}/ui/repos/tree/General/${encodeURIComponent(options.repoKey)}`,
    };
  }
  const registry = `${host}/`;
  const key = nerfDart(registry);
  if (options.kind === "npm-token") {
    return {
      registry,
      authorization: `Bearer ${options.password}`,
      npmrc: [`${key}:_authToken=${options.password}`],
      repositoryUrl: registry,
    };
  }
  const auth = Buffer.from(`${options.userName}:${options.password}`).toString("base64");
  return {
    registry,
    authorization: `Basic ${auth}`,
    npmrc: [`${key}:_auth=${auth}`, ...(options.email ? [`${key}:email=${options.email}`] : [])],
    repositoryUrl: registry,
  };
}

/** What the registry holds for one version, or `undefined` when it does not have it. */
export async function publishedVersion(
  target: RegistryTarget,
  name: string,
  version: string,
  signal: AbortSignal,
): Promise<{ integrity?: string; shasum?: string; tarball?: string } | undefined> {
  const res = await request(
    `${target.registry}${name.replace("/", "%2f")}`,
    { headers: { authorization: target.authorization, accept: "application/json" }, signal },
    `looking up ${name}`,
  );
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403) {
    throw jobFailure(
      "PermissionError",
      `The registry ${target.registry} refused to show ${name} (HTTP ${res.status}): check UserName and Password.`,
    );
  }
  if (!res.ok) {
    throw jobFailure(
      res.status >= 500 ? "SystemUnavailable" : "JobFailed",
      `The registry ${target.registry} answered HTTP ${res.status} for ${name}.`,
    );
  }
  const meta = (await res.json()) as {
    versions?: Record<string, { dist?: { integrity?: string; shasum?: string; tarball?: string } }>;
  };
  const dist = meta.versions?.[version]?.dist;
  return meta.versions?.[version] ? { ...dist } : undefined;
}

/** The `sha512-…` integrity and sha1 shasum of a tarball, as npm computes them. */
export async function tarballDigests(file: string): Promise<{ integrity: string; shasum: string }> {
  const data = await readFile(file);
  return {
    integrity: `sha512-${createHash("sha512").update(data).digest("base64")}`,
    shasum: createHash("sha1").update(data).digest("hex"),
  };
}

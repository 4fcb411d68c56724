import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import {
  type ActionCategory,
  type ActionDefinition,
  type ConfigurationOf,
  defineAction,
} from "../../core/action.js";
import type { JobContext } from "../../core/context.js";
import { jobFailure } from "../../core/results.js";
import type { CodepipelineWorkerError } from "../../errors.js";
import { runNpm } from "./npm.js";
import {
  publishedVersion,
  type RegistryKind,
  type RegistryTarget,
  resolveRegistry,
  tarballDigests,
} from "./registry.js";

export type { RegistryKind } from "./registry.js";

/** The configuration properties of the npm publish action (the original Artifactory action's six, plus two). */
export const NPM_PUBLISH_PROPERTIES = [
  {
    name: "TypeOfArtifact",
    required: true,
    key: false,
    secret: false,
    description: "What to publish; this action publishes npm packages: npm",
  },
  {
    name: "RepoKey",
    required: true,
    key: true,
    secret: false,
    description: "Artifactory npm repository key, e.g. npm-local",
  },
  { name: "UserName", required: true, key: false, secret: false, description: "Registry user" },
  {
    name: "Password",
    required: true,
    key: false,
    secret: true,
    description: "Password, API key or (RegistryKind npm-token) an access token",
  },
  {
    name: "EmailAddress",
    required: false,
    key: false,
    secret: false,
    description: "E-mail address recorded with the publish",
  },
  {
    name: "ArtifactoryHost",
    required: true,
    key: true,
    secret: false,
    description:
      "Base URL, e.g. https://acme.jfrog.io (the registry itself for another npm registry)",
  },
  {
    name: "PackageFolder",
    required: false,
    key: false,
    secret: false,
    description: "Folder of package.json inside the artifact (default: its root)",
  },
  {
    name: "RegistryKind",
    required: false,
    key: false,
    secret: false,
    description: "artifactory (default), npm (basic auth) or npm-token",
  },
] as const;

/** The parsed configuration the handler receives. */
export type NpmPublishConfiguration = ConfigurationOf<typeof NPM_PUBLISH_PROPERTIES>;

/** Options of {@link npmPublishAction}. */
export interface NpmPublishActionOptions {
  /** Action category. @defaultValue `"Deploy"` */
  category?: ActionCategory;
  /** Action provider. @defaultValue `"Artifactory"` */
  provider?: string;
  /** Action type version. @defaultValue `"1"` */
  version?: string;
  /** The npm executable. @defaultValue `"npm"` (from PATH) */
  npmCommand?: string;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  private?: unknown;
  publishConfig?: { registry?: unknown };
}

/** The package found in the artifact. */
interface FoundPackage {
  dir: string;
  name: string;
  version: string;
  publishRegistry: string | undefined;
}

async function readPackage(ctx: JobContext<NpmPublishConfiguration>): Promise<FoundPackage> {
  const input = ctx.input();
  const folder = ctx.configuration.PackageFolder ?? "";
  const dir = resolve(input.dir, folder);
  if (dir !== input.dir && !dir.startsWith(input.dir + sep)) {
    throw jobFailure(
      "ConfigurationError",
      `PackageFolder ${JSON.stringify(folder)} leaves the artifact.`,
    );
  }
  const where = folder
    ? `folder ${folder} of artifact ${input.name}`
    : `the root of artifact ${input.name}`;
  let text: string;
  try {
    text = await readFile(join(dir, "package.json"), "utf8");
  } catch {
    throw jobFailure(
      "ConfigurationError",
      `There is no package.json at ${where}; set PackageFolder to the folder that holds it (the artifact has ${input.files.slice(0, 5).join(", ") || "no files"}${input.files.length > 5 ? ", …" : ""}).`,
    );
  }
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(text) as PackageJson;
  } catch (cause) {
    throw jobFailure(
      "ConfigurationError",
      `package.json at ${where} is not valid JSON (${(cause as Error).message}).`,
    );
  }
  const nameOk =
    typeof pkg.name === "string" &&
    /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(pkg.name) &&
    pkg.name.length <= 214;
  const versionOk =
    typeof pkg.version === "string" &&
    /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(pkg.version);
  if (!nameOk || !versionOk) {
    throw jobFailure(
      "ConfigurationError",
      `package.json at ${where} needs a valid name and semver version (got name ${JSON.stringify(pkg.name)}, version ${JSON.stringify(pkg.version)}).`,
    );
  }
  if (pkg.private === true) {
    throw jobFailure(
      "ConfigurationError",
      `${pkg.name as string} is marked "private": true in package.json, so npm will not publish it.`,
    );
  }
  return {
    dir,
    name: pkg.name as string,
    version: pkg.version as string,
    publishRegistry:
      typeof pkg.publishConfig?.registry === "string" ? pkg.publishConfig.registry : undefined,
  };
}

/** Maps npm's output of a failed publish to the failure a pipeline should show. */
function publishFailure(
  stderr: string,
  target: RegistryTarget,
  spec: string,
): CodepipelineWorkerError {
  const code = /npm (?:ERR!|error) code (\w+)/.exec(stderr)?.[1] ?? "";
  const last = stderr
    .split("\n")
    .map((l) => l.replace(/^npm (?:ERR!|error) ?/, "").trim())
    .filter((l) => l && !l.startsWith("A complete log") && !/\.npm\/_logs/.test(l))
    .slice(0, 4)
    .join(" ")
    .slice(0, 600);
  if (code === "E401" || code === "E403" || code === "ENEEDAUTH")
    return jobFailure(
      "PermissionError",
      `The registry ${target.registry} refused to publish ${spec} (${code}): check UserName, Password and the user's deploy permission. ${last}`,
    );
  if (code === "E409" || code === "EPUBLISHCONFLICT")
    return jobFailure(
      "ConfigurationError",
      `${spec} already exists in ${target.registry} with different content; bump the version. ${last}`,
    );
  if (
    /^E5\d\d$/.test(code) ||
    ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EAI_AGAIN"].includes(code)
  )
    return jobFailure(
      "SystemUnavailable",
      `Publishing ${spec} to ${target.registry} failed (${code}); nothing was published, the pipeline may retry. ${last}`,
    );
  return jobFailure(
    "JobFailed",
    `npm publish of ${spec} to ${target.registry} failed${code ? ` (${code})` : ""}: ${last}`,
  );
}

/**
 * The ready-to-use npm publish action: takes the npm package built earlier in the pipeline (the
 * input artifact, `package.json` at its root or in `PackageFolder`), authenticates against
 * Artifactory's npm endpoint for `RepoKey` (or another npm registry with basic auth or a
 * token), and publishes it with npm through a private, temporary `.npmrc` (mode 0600, never in
 * the home folder, removed with the job folder). A version that already exists fails with
 * `ConfigurationError`, unless the registry holds the identical tarball (then it succeeds and
 * says so). The published `name@version` and its URL go into `executionDetails` and output
 * variables (`PACKAGE_NAME`, `PACKAGE_VERSION`, `PACKAGE_URL`, `REGISTRY`).
 */
export function npmPublishAction(
  options: NpmPublishActionOptions = {},
): ActionDefinition<NpmPublishConfiguration> {
  const npm = options.npmCommand ?? "npm";
  return defineAction({
    actionTypeId: {
      category: options.category ?? "Deploy",
      provider: options.provider ?? "Artifactory",
      version: options.version ?? "1",
    },
    settings: {
      entityUrlTemplate: "{Config:ArtifactoryHost}/ui/repos/tree/General/{Config:RepoKey}",
    },
    configurationProperties: NPM_PUBLISH_PROPERTIES,
    inputArtifacts: { min: 1, max: 1 },
    outputArtifacts: { min: 0, max: 0 },
    async handler(ctx) {
      const c = ctx.configuration;
      if (c.TypeOfArtifact.trim().toLowerCase() !== "npm") {
        throw jobFailure(
          "ConfigurationError",
          `TypeOfArtifact ${JSON.stringify(c.TypeOfArtifact)} is not supported; this action publishes npm packages (TypeOfArtifact npm).`,
        );
      }
      const kind = (c.RegistryKind ?? "artifactory").trim().toLowerCase() as RegistryKind;
      if (!["artifactory", "npm", "npm-token"].includes(kind)) {
        throw jobFailure(
          "ConfigurationError",
          `RegistryKind must be artifactory, npm or npm-token (got ${JSON.stringify(c.RegistryKind)}).`,
        );
      }
      const pkg = await readPackage(ctx);
      const spec = `${pkg.name}@${pkg.version}`;
      ctx.progress(10, `found ${spec}`);
      const target = await resolveRegistry({
        kind,
        host: c.ArtifactoryHost,
        repoKey: c.RepoKey,
        userName: c.UserName,
        password: c.Password,
        email: c.EmailAddress,
        signal: ctx.signal,
      });
      if (
        pkg.publishRegistry !== undefined &&
        pkg.publishRegistry.replace(/\/+$/, "") !== target.registry.replace(/\/+$/, "")
      ) {
        throw jobFailure(
          "ConfigurationError",
          `package.json's publishConfig.registry (${pkg.publishRegistry}) is not the configured registry ${target.registry}; remove it or make them match.`,
        );
      }
      ctx.logger.info(`publishing ${spec} to ${target.registry}`);
      const home = join(ctx.workDir, "home");
      const cache = join(ctx.workDir, "npm-cache");
      const packs = join(ctx.workDir, "packs");
      await Promise.all(
        [home, cache, packs].map((d) => mkdir(d, { recursive: true, mode: 0o700 })),
      );
      const npmrc = join(ctx.workDir, ".npmrc");
      await writeFile(npmrc, `${target.npmrc.join("\n")}\n`, { mode: 0o600 });
      await chmod(npmrc, 0o600);
      const empty = join(ctx.workDir, "global-npmrc");
      await writeFile(empty, "", { mode: 0o600 });
      const config = {
        userconfig: npmrc,
        globalconfig: empty,
        cache,
        registry: target.registry,
        loglevel: "warn",
        // npm's defaults wait up to a minute between retries; a pipeline action should fail
        // (SystemUnavailable, so the pipeline can retry) well within its job timeout.
        "fetch-retries": "2",
        "fetch-retry-mintimeout": "1000",
        "fetch-retry-maxtimeout": "5000",
      };
      try {
        const packed = await runNpm(
          npm,
          ["pack", pkg.dir, "--json", "--ignore-scripts", "--pack-destination", packs],
          {
            cwd: ctx.workDir,
            config,
            signal: ctx.signal,
            home,
          },
        );
        if (packed.code !== 0) {
          throw jobFailure(
            "JobFailed",
            `npm pack of ${spec} failed: ${packed.stderr.trim().slice(0, 600)}`,
          );
        }
        const filename =
          (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename ?? "";
        const tarball = join(packs, filename.replace(/^@/, "").replace("/", "-"));
        await stat(tarball);
        const digests = await tarballDigests(tarball);
        ctx.progress(30, `packed ${spec}`);

        const existing = await publishedVersion(target, pkg.name, pkg.version, ctx.signal);
        let note: string;
        if (existing) {
          if (existing.integrity !== digests.integrity && existing.shasum !== digests.shasum) {
            throw jobFailure(
              "ConfigurationError",
              `${spec} is already published in ${target.registry} with different content; bump "version" in package.json (registries never let a version be overwritten).`,
            );
          }
          note = `${spec} was already in ${target.registry} with the identical tarball; nothing to publish`;
        } else {
          const published = await runNpm(
            npm,
            ["publish", tarball, "--ignore-scripts", "--access", "public"],
            {
              cwd: ctx.workDir,
              config,
              signal: ctx.signal,
              home,
            },
          );
          if (published.code !== 0) {
            // A concurrent run may have published the identical tarball first.
            const raced = await publishedVersion(target, pkg.name, pkg.version, ctx.signal).catch(
              () => undefined,
            );
            if (!raced || raced.integrity !== digests.integrity)
              throw publishFailure(published.stderr, target, spec);
          }
          const check = await publishedVersion(target, pkg.name, pkg.version, ctx.signal);
          if (!check || (check.integrity !== undefined && check.integrity !== digests.integrity)) {
            throw jobFailure(
              "JobFailed",
              `npm reported ${spec} as published, but ${target.registry} does not show that tarball; not reporting success.`,
            );
          }
          note = `published ${spec} to ${target.registry}`;
        }
        const after = await publishedVersion(target, pkg.name, pkg.version, ctx.signal);
        const url =
          after?.tarball ??
          `${target.registry}${pkg.name}/-/${pkg.name.split("/").pop()}-${pkg.version}.tgz`;
        ctx.logger.info(note);
        return {
          summary: note,
          externalExecutionId: spec,
          outputVariables: {
            PACKAGE_NAME: pkg.name,
            PACKAGE_VERSION: pkg.version,
            PACKAGE_URL: url,
            REGISTRY: target.registry,
          },
        };
      } finally {
        await rm(npmrc, { force: true });
        await rm(home, { recursive: true, force: true });
      }
    },
  });
}

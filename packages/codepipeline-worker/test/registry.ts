// A real Verdaccio (npm package verdaccio 6.8.0) on a loopback port for the npm-publish action's
// tests and example, and a small proxy in front of it that speaks Artifactory's npm endpoints
// (`/artifactory/api/npm/auth`, `/artifactory/api/npm/<repo>/…`, as JFrog documents them) and
// can fail publishes with a 5xx, so the action's Artifactory path and faults run against a real
// registry.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repoRoot = join(import.meta.dirname, "..", "..", "..");

/** Starts Verdaccio with htpasswd auth; `addUser` creates a user who may publish. */
export async function startVerdaccio() {
  const work = await mkdtemp(join(tmpdir(), "cpw-verdaccio-"));
  await writeFile(
    join(work, "config.yaml"),
    [
      `storage: ${join(work, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(work, "htpasswd")}`,
      "    max_users: 100",
      "uplinks: {}",
      "packages:",
      "  '**':",
      "    access: $authenticated",
      "    publish: $authenticated",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const bin = join(repoRoot, "node_modules", "verdaccio", "bin", "verdaccio");
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "--config", join(work, "config.yaml"), "--listen", `127.0.0.1:${port}`],
    { cwd: work, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited: ${output}`);
    const ok = await fetch(`${url}/-/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() - started > 60_000) throw new Error(`verdaccio did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async addUser(name: string, password: string): Promise<void> {
      const res = await fetch(`${url}/-/user/org.couchdb.user:${name}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, password, type: "user", roles: [] }),
      });
      if (res.status !== 201) throw new Error(`adding user ${name}: HTTP ${res.status}`);
    },
    async close(): Promise<void> {
      child.kill();
      await new Promise((r) => child.once("exit", r));
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** Artifactory's npm endpoints in front of a registry, plus a switch to fail publishes. */
export async function startArtifactoryProxy(registry: string) {
  const upstream = new URL(registry);
  const state = { failPublishWith: 0, publishes: 0 };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/artifactory/api/npm/auth") {
      // Artifactory checks the credentials and answers the .npmrc lines for them.
      const auth = req.headers.authorization ?? "";
      void fetch(`${registry}/-/whoami`, { headers: { authorization: auth } }).then(
        async (r) => {
          const who = r.ok ? ((await r.json()) as { username?: string | null }).username : null;
          if (!who) {
            res.writeHead(401, { "content-type": "application/json" });
            res.end(JSON.stringify({ errors: [{ status: 401, message: "Bad credentials" }] }));
            return;
          }
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(
            `_auth = ${auth.replace(/^Basic /, "")}\nalways-auth = true\nemail = ${who}@example.com\n`,
          );
        },
        () => {
          res.writeHead(502).end();
        },
      );
      return;
    }
    const match = /^\/artifactory\/api\/npm\/([^/]+)(\/.*)$/.exec(path);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "PUT") {
      state.publishes++;
      if (state.failPublishWith > 0) {
        req.resume();
        req.on("end", () => {
          res.writeHead(state.failPublishWith, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "upstream trouble" }));
        });
        return;
      }
    }
    const search = new URL(req.url ?? "/", "http://x").search;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${match[2]}${search}`,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

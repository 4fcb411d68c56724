// Proves the packages are really publishable: publishes every package to a Verdaccio registry on
// a loopback port with pnpm, installs them into a fresh project from that registry with npm, and
// loads each one through both `import` and `require` and runs each of its command-line tools.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureBuilt,
  execFileAsync,
  freePort,
  pnpmCommand,
  repoRoot,
  spawnLogged,
  waitForHttp,
} from "./helpers.js";

const allPackages = readdirSync(join(repoRoot, "packages")).map((dir) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "packages", dir, "package.json"), "utf8"));
  return {
    dir: join(repoRoot, "packages", dir),
    name: pkg.name as string,
    private: pkg.private === true,
  };
});
// A package stays `"private": true` until it does what its README says: it must not reach a
// registry. Every other package must publish and install.
const packages = allPackages.filter((pkg) => !pkg.private);
const privatePackages = allPackages.filter((pkg) => pkg.private);

let work: string;
let registry: string;
let npmrc: string;
let stop: () => void = () => {};

/** The environment without the npm_config_* variables pnpm sets for scripts, plus our npmrc. */
function registryEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)),
  );
  return { ...env, npm_config_userconfig: npmrc };
}

describe("publishing to a real registry", { tags: ["peer", "slow"] }, () => {
  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), "tinkerbox-publish-"));
    const port = await freePort();
    registry = `http://127.0.0.1:${port}/`;
    writeFileSync(
      join(work, "config.yaml"),
      [
        `storage: ${join(work, "storage")}`,
        "auth:",
        "  htpasswd:",
        `    file: ${join(work, "htpasswd")}`,
        "    max_users: 10",
        "uplinks: {}",
        "packages:",
        "  '@tinkerbox/*':",
        "    access: $all",
        "    publish: $authenticated",
        "  '**':",
        "    access: $all",
        "log: { type: stdout, format: pretty, level: warn }",
        "",
      ].join("\n"),
    );
    const verdaccio = join(repoRoot, "node_modules", "verdaccio", "bin", "verdaccio");
    const server = spawnLogged(
      process.execPath,
      [verdaccio, "--config", join(work, "config.yaml"), "--listen", `127.0.0.1:${port}`],
      { cwd: work },
    );
    stop = () => server.child.kill();
    await waitForHttp(`${registry}-/ping`, server.child).catch((error) => {
      throw new Error(`${error.message}\n${server.output()}`);
    });

    const login = await fetch(`${registry}-/user/org.couchdb.user:ci`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "ci", password: "ci-password-1", type: "user", roles: [] }),
    });
    expect(login.status).toBe(201);
    const { token } = (await login.json()) as { token: string };
    npmrc = join(work, ".npmrc");
    // Only the @tinkerbox scope comes from the private registry; third-party dependencies come from
    // the default registry, as in a real private-scope setup.
    writeFileSync(
      npmrc,
      `@tinkerbox:registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`,
    );
  }, 180_000);

  afterAll(() => {
    stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("publishes every public package with pnpm", async () => {
    const [pnpm, pnpmArgs] = pnpmCommand();
    const env = registryEnv();
    for (const pkg of packages) {
      await execFileAsync(
        pnpm,
        [...pnpmArgs, "publish", "--registry", registry, "--no-git-checks", "--access", "public"],
        { cwd: pkg.dir, env },
      );
      const meta = (await (await fetch(`${registry}${pkg.name.replace("/", "%2f")}`)).json()) as {
        versions: Record<string, { dist: { tarball: string } }>;
      };
      expect(Object.keys(meta.versions)).toContain("0.0.0");
    }
  }, 180_000);

  it.each(privatePackages)("does not publish the private package $name", async (pkg) => {
    const [pnpm, pnpmArgs] = pnpmCommand();
    const refused = await execFileAsync(
      pnpm,
      [...pnpmArgs, "publish", "--registry", registry, "--no-git-checks", "--access", "public"],
      { cwd: pkg.dir, env: registryEnv() },
    ).then(
      () => undefined,
      (error: Error & { stderr?: string }) => error,
    );
    expect(refused, `pnpm publish accepted the private ${pkg.name}`).toBeInstanceOf(Error);
    expect(`${refused?.message}\n${refused?.stderr}`).toMatch(/private/i);
    const response = await fetch(`${registry}${pkg.name.replace("/", "%2f")}`);
    expect(response.status).toBe(404);
  });

  it("installs from the registry and loads with import and require", async () => {
    const project = join(work, "consumer");
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), '{ "name": "consumer", "private": true }\n');
    await execFileAsync(
      "npm",
      ["install", "--no-audit", "--no-fund", ...packages.map((p) => p.name)],
      { cwd: project, env: registryEnv() },
    );
    for (const pkg of packages) {
      const installed = JSON.parse(
        readFileSync(join(project, "node_modules", pkg.name, "package.json"), "utf8"),
      );
      expect(installed.name).toBe(pkg.name);
      expect(existsSync(join(project, "node_modules", pkg.name, "test"))).toBe(false);
      const script = (loader: string) =>
        `${loader}.then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`;
      const viaImport = await execFileAsync(
        process.execPath,
        ["--input-type=module", "-e", script(`import(${JSON.stringify(pkg.name)})`)],
        { cwd: project },
      );
      const viaRequire = await execFileAsync(
        process.execPath,
        ["-e", script(`Promise.resolve(require(${JSON.stringify(pkg.name)}))`)],
        { cwd: project },
      );
      for (const bin of Object.keys(installed.bin ?? {})) {
        const help = await execFileAsync(join(project, "node_modules", ".bin", bin), ["--help"], {
          cwd: project,
        });
        expect(help.stdout, `${bin} --help`).toMatch(/usage/i);
      }
      const importKeys = JSON.parse(viaImport.stdout) as string[];
      const requireKeys = JSON.parse(viaRequire.stdout) as string[];
      expect(importKeys.length).toBeGreaterThan(0);
      expect(requireKeys).toEqual(importKeys.filter((key) => key !== "default"));
    }
  }, 180_000);
});

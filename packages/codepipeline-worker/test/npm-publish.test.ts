import { execFile } from "node:child_process";
import { access, constants, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmPublishAction } from "../src/actions/npm-publish/index.js";
import { registerActionType } from "../src/index.js";
import { runOne, type Setup, setup } from "./helpers.js";
import { rawZip } from "./raw-zip.js";
import { startArtifactoryProxy, startVerdaccio } from "./registry.js";

const exec = promisify(execFile);
const PASSWORD = "s3cr3t pass+/=word";
const action = npmPublishAction();

/** A zipped npm package: nested folders, an executable bin, package.json in `folder`. */
function packageZip(version: string, folder = "", extra = "") {
  const at = (p: string) => (folder ? `${folder}/${p}` : p);
  return rawZip([
    {
      name: at("package.json"),
      data: JSON.stringify({
        name: "@demo/hello",
        version,
        main: "lib/index.js",
        bin: { hello: "bin/hello.js" },
      }),
    },
    { name: at("lib/index.js"), data: `module.exports = () => "hello ${version}${extra}";\n` },
    { name: at("lib/deep/nested/util.js"), data: "module.exports = 42;\n" },
    {
      name: at("bin/hello.js"),
      data: '#!/usr/bin/env node\nconsole.log(require("../lib/index.js")());\n',
      mode: 0o100755,
    },
    { name: "README-not-in-package.txt", data: "outside the package folder" },
  ]);
}

describe("npm publish action against a real Verdaccio", { tags: ["peer", "slow"] }, () => {
  let s: Setup;
  let verdaccio: Awaited<ReturnType<typeof startVerdaccio>>;
  let proxy: Awaited<ReturnType<typeof startArtifactoryProxy>>;
  let workRoot: string;
  const lines: string[] = [];
  const logger = {
    debug: (...a: unknown[]) => lines.push(a.join(" ")),
    info: (...a: unknown[]) => lines.push(a.join(" ")),
    warn: (...a: unknown[]) => lines.push(a.join(" ")),
    error: (...a: unknown[]) => lines.push(a.join(" ")),
  };
  const homeNpmrc = join(homedir(), ".npmrc");
  let homeNpmrcBefore: string | undefined;

  beforeAll(async () => {
    homeNpmrcBefore = await readFile(homeNpmrc, "utf8").catch(() => undefined);
    verdaccio = await startVerdaccio();
    await verdaccio.addUser("ci", PASSWORD);
    proxy = await startArtifactoryProxy(verdaccio.url);
    s = await setup();
    await registerActionType(action, { client: s.client });
    workRoot = await mkdtemp(join(tmpdir(), "cpw-npm-work-"));
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    await verdaccio?.close();
    if (workRoot) await rm(workRoot, { recursive: true, force: true });
  });

  const publish = (zip: Buffer, configuration: Record<string, string> = {}) =>
    runOne(
      s,
      action,
      {
        configuration: {
          TypeOfArtifact: "npm",
          RepoKey: "npm-local",
          UserName: "ci",
          Password: PASSWORD,
          ArtifactoryHost: proxy.url,
          ...configuration,
        },
        inputArtifacts: [{ name: "Package", zip }],
      },
      { logger, workRoot, jobTimeoutMs: 120_000 },
    );

  it("publishes through Artifactory's npm endpoints, and the package installs with its folders and executable bit", {
    timeout: 180_000,
  }, async () => {
    const { execution } = await publish(packageZip("1.0.0", "dist/pkg"), {
      PackageFolder: "dist/pkg",
    });
    expect(execution.failureDetails).toBeUndefined();
    expect(execution.status).toBe("Succeeded");
    const registry = `${proxy.url}/artifactory/api/npm/npm-local/`;
    expect(execution.executionDetails?.summary).toBe(`published @demo/hello@1.0.0 to ${registry}`);
    expect(execution.executionDetails?.externalExecutionId).toBe("@demo/hello@1.0.0");
    expect(execution.outputVariables).toMatchObject({
      PACKAGE_NAME: "@demo/hello",
      PACKAGE_VERSION: "1.0.0",
      REGISTRY: registry,
    });
    expect(execution.outputVariables?.PACKAGE_URL).toMatch(/hello-1\.0\.0\.tgz$/);

    const project = await mkdtemp(join(tmpdir(), "cpw-npm-install-"));
    try {
      const auth = Buffer.from(`ci:${PASSWORD}`).toString("base64");
      const npmrc = join(project, ".npmrc-install");
      await writeFile(
        npmrc,
        `registry=${verdaccio.url}/\n//${new URL(verdaccio.url).host}/:_auth=${auth}\n`,
        {
          mode: 0o600,
        },
      );
      await writeFile(
        join(project, "package.json"),
        '{"name":"consumer","version":"1.0.0","private":true}',
      );
      await exec(
        "npm",
        [
          "install",
          "@demo/hello@1.0.0",
          "--no-audit",
          "--no-fund",
          "--userconfig",
          npmrc,
          "--cache",
          join(project, ".cache"),
          // Under `pnpm test` pnpm's npm_config_registry is in the environment and wins over
          // --userconfig; a command-line flag wins over both.
          "--registry",
          `${verdaccio.url}/`,
        ],
        {
          cwd: project,
        },
      );
      const installed = join(project, "node_modules/@demo/hello");
      expect(
        (
          await exec(process.execPath, [
            "-e",
            `console.log(require(${JSON.stringify(installed)})())`,
          ])
        ).stdout,
      ).toBe("hello 1.0.0\n");
      expect(await readFile(join(installed, "lib/deep/nested/util.js"), "utf8")).toBe(
        "module.exports = 42;\n",
      );
      await access(join(installed, "bin/hello.js"), constants.X_OK);
      expect((await exec(join(project, "node_modules/.bin/hello"))).stdout).toBe("hello 1.0.0\n");
      expect((await readdir(installed)).sort()).toEqual(["bin", "lib", "package.json"]);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it("succeeds, saying so, when the identical tarball is already there", {
    timeout: 120_000,
  }, async () => {
    const { execution } = await publish(packageZip("1.0.0", "dist/pkg"), {
      PackageFolder: "dist/pkg",
    });
    expect(execution.status).toBe("Succeeded");
    expect(execution.executionDetails?.summary).toContain("already in");
    expect(execution.executionDetails?.summary).toContain("identical tarball; nothing to publish");
  });

  it("fails with ConfigurationError when the version exists with other content", {
    timeout: 120_000,
  }, async () => {
    const { execution } = await publish(packageZip("1.0.0", "dist/pkg", "!"), {
      PackageFolder: "dist/pkg",
    });
    expect(execution.failureDetails?.type).toBe("ConfigurationError");
    expect(execution.failureDetails?.message).toContain("@demo/hello@1.0.0 is already published");
    expect(execution.failureDetails?.message).toContain("bump");
  });

  it("publishes to a plain npm registry with basic auth (RegistryKind npm)", {
    timeout: 120_000,
  }, async () => {
    const { execution } = await publish(packageZip("1.1.0"), {
      RegistryKind: "npm",
      ArtifactoryHost: verdaccio.url,
    });
    expect(execution.status).toBe("Succeeded");
    expect(execution.outputVariables?.REGISTRY).toBe(`${verdaccio.url}/`);
  });

  it.each([
    [
      "a wrong password (Artifactory)",
      { Password: "wrong-password" },
      "PermissionError",
      "refused user ci",
    ],
    [
      "a wrong password (npm registry)",
      { Password: "wrong-password", RegistryKind: "npm", ArtifactoryHost: "VERDACCIO" },
      "PermissionError",
      "refused",
    ],
    [
      "an unreachable registry",
      { ArtifactoryHost: "http://127.0.0.1:9" },
      "SystemUnavailable",
      "could not be reached",
    ],
    ["TypeOfArtifact maven", { TypeOfArtifact: "maven" }, "ConfigurationError", "TypeOfArtifact"],
  ])(
    "fails on %s",
    { timeout: 120_000 },
    async (_what, config: Record<string, string>, type, text) => {
      const configuration = { ...config };
      if (configuration.ArtifactoryHost === "VERDACCIO")
        configuration.ArtifactoryHost = verdaccio.url;
      const { execution } = await publish(packageZip("2.0.0"), configuration);
      expect(execution.failureDetails?.type).toBe(type);
      expect(execution.failureDetails?.message).toContain(text);
    },
  );

  it.each([
    [
      "no package.json",
      rawZip([{ name: "index.js", data: "1" }]),
      "There is no package.json at the root of artifact Package",
    ],
    [
      "an invalid package.json",
      rawZip([{ name: "package.json", data: "{ nope" }]),
      "is not valid JSON",
    ],
    [
      "a package.json without a version",
      rawZip([{ name: "package.json", data: '{"name":"x"}' }]),
      "needs a valid name and semver version",
    ],
  ])("fails with ConfigurationError on %s", { timeout: 120_000 }, async (_what, zip, text) => {
    const { execution } = await publish(zip);
    expect(execution.failureDetails?.type).toBe("ConfigurationError");
    expect(execution.failureDetails?.message).toContain(text);
  });

  it("fails, and reports nothing as published, when the registry answers 5xx mid-publish", {
    timeout: 120_000,
  }, async () => {
    proxy.state.failPublishWith = 503;
    const before = proxy.state.publishes;
    try {
      const { execution } = await publish(packageZip("3.0.0"));
      expect(execution.status).toBe("Failed");
      expect(execution.failureDetails?.type).toBe("SystemUnavailable");
      expect(execution.failureDetails?.message).toContain("nothing was published");
      expect(execution.outputVariables).toBeUndefined();
      expect(proxy.state.publishes).toBeGreaterThan(before);
    } finally {
      proxy.state.failPublishWith = 0;
    }
    const meta = await fetch(`${verdaccio.url}/@demo%2fhello`, {
      headers: { authorization: `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}` },
    });
    expect(Object.keys(((await meta.json()) as { versions: object }).versions).sort()).toEqual([
      "1.0.0",
      "1.1.0",
    ]);
  });

  it("never lets the password out: logs, results, API requests, files left behind, ~/.npmrc", async () => {
    const forms = [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      Buffer.from(`ci:${PASSWORD}`).toString("base64"),
      JSON.stringify(PASSWORD).slice(1, -1),
    ];
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => forms.some((f) => l.includes(f)))).toEqual([]);
    const sent = s.emulator.requests.filter((r) => r.operation.startsWith("PutJob"));
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.filter((r) => forms.some((f) => r.body.includes(f)))).toEqual([]);
    expect(await readdir(workRoot)).toEqual([]);
    expect(await readFile(homeNpmrc, "utf8").catch(() => undefined)).toBe(homeNpmrcBefore);
  });
});

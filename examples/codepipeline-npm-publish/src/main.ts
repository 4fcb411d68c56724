// The ready npm publish action end to end on loopback: the CodePipeline emulator (job API + S3),
// a real npm registry (Verdaccio) standing in for Artifactory, a worker serving the action. One
// job publishes a zipped sample package, which is then installed from the registry and loaded;
// one job has a wrong password and fails with PermissionError, as the pipeline would show it.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { createWorker, registerActionType } from "@tinkerbox/codepipeline-worker";
import { npmPublishAction } from "@tinkerbox/codepipeline-worker/actions/npm-publish";
import { startEmulator } from "@tinkerbox/codepipeline-worker/emulator";

const exec = promisify(execFile);
const out = process.env.TINKERBOX_DEMO_OUT ?? "out";
const step = (text: string) => console.log(`\n▶ ${text}`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

step("starting Verdaccio (the npm registry) on loopback");
const work = await mkdtemp(join(tmpdir(), "npm-publish-demo-"));
await writeFile(
  join(work, "config.yaml"),
  `storage: ${join(work, "storage")}\nauth:\n  htpasswd:\n    file: ${join(work, "htpasswd")}\nuplinks: {}\npackages:\n  '**':\n    access: $authenticated\n    publish: $authenticated\nlog: { type: stdout, format: pretty, level: warn }\n`,
);
const port = await freePort();
const registry = `http://127.0.0.1:${port}`;
const verdaccioBin = join(
  dirname(createRequire(import.meta.url).resolve("verdaccio/package.json")),
  "bin",
  "verdaccio",
);
const verdaccio = spawn(
  process.execPath,
  [verdaccioBin, "--config", join(work, "config.yaml"), "--listen", `127.0.0.1:${port}`],
  { stdio: "ignore" },
);
for (let i = 0; ; i++) {
  if (
    await fetch(`${registry}/-/ping`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 300) throw new Error("Verdaccio did not start");
  await new Promise((r) => setTimeout(r, 200));
}
const password = "demo-Passw0rd!";
const user = await fetch(`${registry}/-/user/org.couchdb.user:deployer`, {
  method: "PUT",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: "deployer", password, type: "user", roles: [] }),
});
console.log(`Verdaccio at ${registry}, user deployer: HTTP ${user.status}`);

const emulator = await startEmulator();
const client = emulator.createClient();
try {
  step("registering the action type Deploy/Custom/Artifactory/1");
  const action = npmPublishAction();
  console.log((await registerActionType(action, { client })).status);

  step("queueing two jobs as a pipeline would");
  const configuration = {
    TypeOfArtifact: "npm",
    RepoKey: "npm-local",
    UserName: "deployer",
    Password: password,
    ArtifactoryHost: registry,
    // Verdaccio is a plain npm registry; against Artifactory leave RegistryKind out.
    RegistryKind: "npm",
    PackageFolder: "package",
  };
  const files = {
    "package/package.json": JSON.stringify(
      { name: "@demo/greeter", version: "1.0.0", main: "lib/index.js", license: "MIT" },
      null,
      2,
    ),
    "package/lib/index.js": 'module.exports = (who) => "hello, " + who + ", from @demo/greeter";\n',
    "package/lib/util/format.js": "module.exports = (s) => s.trim();\n",
    "build-report.txt": "not part of the package",
  };
  const good = await emulator.enqueueJob({
    actionTypeId: action.actionTypeId,
    pipelineName: "greeter",
    configuration,
    inputArtifacts: [{ name: "BuildOutput", files }],
  });
  const wrong = await emulator.enqueueJob({
    actionTypeId: action.actionTypeId,
    pipelineName: "greeter",
    configuration: { ...configuration, Password: "not-the-password" },
    inputArtifacts: [{ name: "BuildOutput", files }],
  });

  step("running the worker until both jobs are done");
  const worker = createWorker(action, {
    client,
    s3: emulator.workerS3Config,
    pollIntervalMs: 100,
    concurrency: 2,
    logger: console,
  });
  const running = worker.run();
  const published = await emulator.waitForExecution(good.actionExecutionId, { timeoutMs: 120_000 });
  const refused = await emulator.waitForExecution(wrong.actionExecutionId, { timeoutMs: 120_000 });
  await worker.stop();
  await running;
  console.log(`job 1: ${published.status} — ${published.executionDetails?.summary}`);
  console.log(`       output variables: ${JSON.stringify(published.outputVariables)}`);
  console.log(
    `job 2: ${refused.status} — ${refused.failureDetails?.type}: ${refused.failureDetails?.message}`,
  );

  step("installing @demo/greeter@1.0.0 from the registry into a fresh folder and loading it");
  const project = join(work, "consumer");
  await exec("mkdir", ["-p", project]);
  await writeFile(join(project, "package.json"), '{"name":"consumer","private":true}');
  const npmrc = join(work, "consumer.npmrc");
  const auth = Buffer.from(`deployer:${password}`).toString("base64");
  await writeFile(npmrc, `registry=${registry}/\n//127.0.0.1:${port}/:_auth=${auth}\n`, {
    mode: 0o600,
  });
  await exec(
    "npm",
    // --registry on the command line: under `pnpm demo` pnpm's own npm_config_registry is in the
    // environment, and it wins over a --userconfig file.
    [
      "install",
      "@demo/greeter@1.0.0",
      "--no-audit",
      "--no-fund",
      "--userconfig",
      npmrc,
      "--registry",
      `${registry}/`,
    ],
    { cwd: project },
  );
  const { stdout } = await exec(
    process.execPath,
    ["-e", 'console.log(require("@demo/greeter")("pipeline"))'],
    { cwd: project },
  );
  console.log(stdout.trim());

  const ok =
    published.status === "Succeeded" &&
    refused.failureDetails?.type === "PermissionError" &&
    stdout.includes("hello, pipeline");
  await writeFile(
    join(out, "result.json"),
    `${JSON.stringify(
      {
        showed: ok
          ? "npm publish action: @demo/greeter@1.0.0 published to Verdaccio, installed and loaded; wrong password → PermissionError"
          : "npm publish action did not behave as expected",
        published: { status: published.status, outputVariables: published.outputVariables },
        refused: refused.failureDetails,
        loaded: stdout.trim(),
      },
      null,
      2,
    )}\n`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  client.destroy();
  await emulator.close();
  verdaccio.kill();
  await rm(work, { recursive: true, force: true });
}

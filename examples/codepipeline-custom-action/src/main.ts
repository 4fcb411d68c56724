// Runs the Artifactory custom action end to end on the local emulator (CodePipeline's job API on
// loopback, artifacts in a real S3-compatible server): register the action type, queue three jobs
// as a pipeline would, serve them with a worker, and keep what came out.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createWorker, registerActionType } from "@tinkerbox/codepipeline-worker";
import { startEmulator } from "@tinkerbox/codepipeline-worker/emulator";
import artifactory from "./action.js";

const out = process.env.TINKERBOX_DEMO_OUT ?? "out";
const emulator = await startEmulator();
const client = emulator.createClient();
try {
  const registered = await registerActionType(artifactory, { client });
  console.log(`action type Deploy/Custom/Artifactory/1: ${registered.status}`);
  const again = await registerActionType(artifactory, { client });
  console.log(`registering again: ${again.status}`);

  const repository = join(out, "repository");
  const jobs = {
    good: await emulator.enqueueJob({
      actionTypeId: artifactory.actionTypeId,
      pipelineName: "web-app",
      configuration: {
        Repository: "web-releases",
        RepositoryPath: repository,
        ApiKey: "AKCp8demo-secret",
        KeepReleases: "5",
      },
      inputArtifacts: [
        {
          name: "BuildOutput",
          files: { "index.html": "<h1>web-app</h1>\n", "assets/app.js": "console.log('hi');\n" },
        },
      ],
      outputArtifacts: ["ReleaseInfo"],
    }),
    badKey: await emulator.enqueueJob({
      actionTypeId: artifactory.actionTypeId,
      pipelineName: "web-app",
      configuration: {
        Repository: "web-releases",
        RepositoryPath: repository,
        ApiKey: "not-a-key-hunter2",
      },
      inputArtifacts: [{ name: "BuildOutput", files: { "index.html": "v2" } }],
    }),
    missingArtifact: await emulator.enqueueJob({
      actionTypeId: artifactory.actionTypeId,
      pipelineName: "web-app",
      configuration: {
        Repository: "web-releases",
        RepositoryPath: repository,
        ApiKey: "AKCp8demo-secret",
      },
      inputArtifacts: [{ name: "BuildOutput", objectKey: "web-app/BuildOutpu/deleted" }],
    }),
  };

  const worker = createWorker(artifactory, {
    client,
    s3: emulator.workerS3Config,
    // Repository is queryable: this worker serves the jobs for this repository only.
    queryParam: { Repository: "web-releases" },
    concurrency: 2,
    pollIntervalMs: 50,
    logger: console,
  });
  const running = worker.run();
  const outcomes: Record<string, unknown> = {};
  for (const [name, job] of Object.entries(jobs)) {
    const execution = await emulator.waitForExecution(job.actionExecutionId, { timeoutMs: 60_000 });
    outcomes[name] = {
      status: execution.status,
      executionDetails: execution.executionDetails,
      outputVariables: execution.outputVariables,
      failureDetails: execution.failureDetails,
    };
    console.log(
      `${name}: ${execution.status} — ${execution.executionDetails?.summary ?? `${execution.failureDetails?.type}: ${execution.failureDetails?.message}`}`,
    );
  }
  const stats = await worker.stop();
  await running;

  const receipt = await emulator.readOutputArtifact(jobs.good.actionExecutionId, "ReleaseInfo");
  await writeFile(join(out, "ReleaseInfo.zip"), receipt);
  await writeFile(join(out, "outcomes.json"), `${JSON.stringify({ stats, outcomes }, null, 2)}\n`);
  const failed = Object.values(outcomes)
    .map((o) => (o as { failureDetails?: { type: string } }).failureDetails?.type)
    .filter(Boolean);
  await writeFile(
    join(out, "result.json"),
    JSON.stringify({
      showed: `Artifactory custom action on the emulator: ${stats.succeeded} release published (ReleaseInfo.zip, ${receipt.length} bytes), ${failed.join(" + ")} reported for the bad jobs`,
    }),
  );
} finally {
  client.destroy();
  await emulator.close();
}

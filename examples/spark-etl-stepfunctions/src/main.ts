// One pipeline, two ways: run locally against the Livy dev server, then compiled to Amazon
// States Language, deployed to the local Step Functions emulator through the AWS SDK, started
// and followed to success. Writes the ASL, both reports, the history and an SVG picture.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { LivyClient } from "@tinkerbox/livy-client";
import { createLivyDevServer } from "@tinkerbox/livy-client/dev-server";
import { createStatusHandler, createSubmitHandler } from "@tinkerbox/livy-client/lambda";
import { renderPipelineSvg, runPipeline, toStateMachine } from "@tinkerbox/livy-client/pipeline";
import {
  deployPipeline,
  startPipeline,
  waitForPipelineExecution,
} from "@tinkerbox/livy-client/sfn";
import { createSfnEmulator } from "@tinkerbox/livy-client/sfn-emulator";
import { trips } from "../../spark-etl-local/src/trips.js";
import { taxiEtl } from "./pipeline.js";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
mkdirSync(out, { recursive: true });
const ACCOUNT = "123456789012";
const arns = {
  submitFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:livy-submit`,
  statusFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:livy-status`,
};
const roleArn = `arn:aws:iam::${ACCOUNT}:role/livy-pipeline`;

const tripsCsv = join(out, "trips.csv");
writeFileSync(tripsCsv, trips(20_000, 2024));
console.log(`wrote ${tripsCsv} (20000 trips)`);

const livyServer = await createLivyDevServer({ cwd: resolve("jobs") }).start({ port: 0 });
const livy = new LivyClient({ url: livyServer.url });
// The Lambda handlers of @tinkerbox/livy-client/lambda, served in-process by the emulator.
const sfnEmulator = await createSfnEmulator({
  lambdaFunctions: {
    "livy-submit": createSubmitHandler({ livy }),
    "livy-status": createStatusHandler({ livy }),
  },
  // The pipeline polls every 30 s on AWS; here every Wait lasts 200 ms.
  waitTimeMs: 200,
  retryIntervalMs: 100,
}).start({ port: 0 });
const sfn = new SFNClient({
  endpoint: sfnEmulator.url,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDLOCALEMULATOR", secretAccessKey: "local-emulator-only" },
});
console.log(`Livy dev server at ${livyServer.url}, Step Functions emulator at ${sfnEmulator.url}`);

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1).padStart(5)}s`;
try {
  // 1. Locally: the runner submits the batches itself, independent jobs in parallel.
  console.log("\n▶ run locally (runPipeline against the dev server)");
  const localStarted = Date.now();
  const local = await runPipeline(taxiEtl, {
    livy,
    input: { trips: tripsCsv, outputRoot: join(out, "local") },
    pollIntervalMs: 100,
    execution: "local",
    onProgress: (event) => {
      if (event.type === "job-submitted")
        console.log(`  [${seconds(localStarted)}] ${event.job}: batch ${event.batchId} submitted`);
      if (event.type === "job-finished")
        console.log(`  [${seconds(localStarted)}] ${event.job}: ${event.report.state}`);
    },
  });
  console.log(`  pipeline ${local.status}`);
  if (local.status !== "succeeded") throw new Error(`the local run ${local.status}`);

  // 2. Compiled to Amazon States Language.
  const definition = toStateMachine(taxiEtl, arns);
  writeFileSync(join(out, "state-machine.asl.json"), `${JSON.stringify(definition, null, 2)}\n`);
  console.log(
    `\n▶ compiled: ${JSON.stringify(definition).length} bytes of ASL → state-machine.asl.json`,
  );

  // 3. Deployed (create or update), started and followed on the emulator, via the AWS SDK.
  const deployed = await deployPipeline(taxiEtl, { client: sfn, roleArn, ...arns });
  const redeployed = await deployPipeline(taxiEtl, { client: sfn, roleArn, ...arns });
  console.log(
    `▶ deploy: ${deployed.action} ${deployed.stateMachineArn}; again: ${redeployed.action}`,
  );
  const input = { trips: tripsCsv, outputRoot: join(out, "stepfunctions") };
  const execution = await startPipeline(taxiEtl, { client: sfn, input });
  console.log(`▶ started execution ${execution.name}`);
  const sfnStarted = Date.now();
  const status = await waitForPipelineExecution(taxiEtl, {
    client: sfn,
    execution: execution.name,
    pollIntervalMs: 250,
    onProgress: (s) =>
      console.log(
        `  [${seconds(sfnStarted)}] ${s.status}: ${Object.entries(s.jobs)
          .map(([job, j]) => `${job} ${j.state}`)
          .join(", ")}`,
      ),
  });
  if (status.status !== "SUCCEEDED") {
    throw new Error(`the execution ended ${status.status}: ${status.failedJob ?? status.error}`);
  }
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
  );
  writeFileSync(join(out, "history.json"), `${JSON.stringify(history.events, null, 2)}\n`);

  // 4. Both ways, the same result.
  const result = (root: string) =>
    readFileSync(join(root, "rate-code-status", "part-00000.csv"), "utf8");
  const same = result(join(out, "local")) === result(join(out, "stepfunctions"));
  if (!same) throw new Error("the local run and the state machine wrote different results");

  const jobStates = Object.fromEntries(Object.entries(status.jobs).map(([n, j]) => [n, j.state]));
  writeFileSync(
    join(out, "pipeline.svg"),
    renderPipelineSvg(taxiEtl, {
      jobStates,
      subtitle: `Step Functions execution ${execution.name.slice(0, 12)}…: ${status.status} (${history.events?.length} history events)`,
    }),
  );
  writeFileSync(
    join(out, "reports.json"),
    `${JSON.stringify({ local, stepFunctions: status }, null, 2)}\n`,
  );
  console.log("\njob                   local       step functions  batch");
  for (const job of taxiEtl.jobs) {
    const sfnJob = status.jobs[job.name]!;
    console.log(
      `${job.name.padEnd(21)} ${local.jobs[job.name]!.state.padEnd(11)} ${sfnJob.state.padEnd(15)} ${sfnJob.batchId}`,
    );
  }
  const table = result(join(out, "stepfunctions")).trim().split("\n");
  console.log(`\nrate code status (identical both ways):\n  ${table.join("\n  ")}`);
  console.log(
    "\nwrote state-machine.asl.json, pipeline.svg, history.json, reports.json, local/, stepfunctions/",
  );
  writeFileSync(
    join(out, "result.json"),
    JSON.stringify({
      showed: `a ${taxiEtl.jobs.length}-job pipeline run locally and as a Step Functions state machine on the emulator (deployed, started, followed to SUCCEEDED, ${history.events?.length} history events); same results both ways; pipeline.svg`,
    }),
  );
} finally {
  sfn.destroy();
  await sfnEmulator.close();
  await livyServer.close();
}

// The compiled state machine executed end to end on this machine: the ASL runs in
// aws-local-stepfunctions 3.0.0, its two Task states call the ./lambda handlers, which talk to
// the Livy dev server. The same pipelines reach the same outcome as through runPipeline.
import { describe, expect, it } from "vitest";
import type { LivyClient } from "../src/index.js";
import { createStatusHandler, createSubmitHandler } from "../src/lambda/index.js";
import {
  definePipeline,
  type Pipeline,
  type PipelineDefinition,
  runPipeline,
  stagesOf,
  toStateMachine,
} from "../src/pipeline/index.js";
import { loadEngine } from "../src/services/sfn-emulator/execution.js";
import { devServersClosedAfterEach } from "./helpers.js";

// The emulator's loader (it adds Promise.withResolvers, which aws-local-stepfunctions 3.0.0 needs,
// on Node 20).
const { StateMachine } = await loadEngine();

const start = devServersClosedAfterEach();
const arns = {
  submitFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-submit",
  statusFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-status",
};

/** Runs the compiled definition locally; Task and Wait overrides are keyed by state name. */
async function runStateMachine(
  pipeline: Pipeline,
  livy: LivyClient,
  input: Record<string, string>,
  execution: string,
) {
  const submit = createSubmitHandler({ livy });
  const status = createStatusHandler({ livy });
  const taskResourceLocalHandlers: Record<string, unknown> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const job of stagesOf(pipeline).flat()) {
    taskResourceLocalHandlers[`${job.name} submit`] = submit;
    taskResourceLocalHandlers[`${job.name} status`] = status;
    waitTimeOverrides[`${job.name} wait`] = 30;
  }
  const machine = new StateMachine(toStateMachine(pipeline, arns) as never, {
    validationOptions: { checkArn: false },
  });
  const execution_ = machine.run(input, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, waitTimeOverrides },
    context: { Execution: { Name: execution, Input: input } } as never,
  });
  try {
    await execution_.result;
    return { status: "succeeded" as const };
  } catch (error) {
    return { status: "failed" as const, error: error as Error };
  }
}

async function bothWays(definition: PipelineDefinition, input: Record<string, string> = {}) {
  const { client } = await start();
  const pipeline = definePipeline(definition);
  const local = await runPipeline(pipeline, {
    livy: client,
    input,
    pollIntervalMs: 30,
    execution: "runner",
  });
  const machine = await runStateMachine(pipeline, client, input, "machine");
  const batches = (await client.listBatches({ size: 1000 })).sessions;
  return { local, machine, batches };
}

describe("the compiled state machine, run locally, against the dev server", {
  tags: ["slow"],
}, () => {
  it("succeeds like the runner, with the input rendered into the jobs", async () => {
    const { local, machine, batches } = await bothWays(
      {
        name: "ok",
        input: { day: null },
        jobs: {
          first: { batch: { file: "env.mjs", args: ["{{day}}"] } },
          second: { batch: { file: "count.mjs", args: ["2"] }, dependsOn: ["first"] },
        },
      },
      { day: "2024-06-01" },
    );
    expect(local.status).toBe("succeeded");
    expect(machine.status).toBe("succeeded");
    const named = (prefix: string) =>
      batches.filter((b) => b.name?.startsWith(prefix)).map((b) => [b.name, b.state]);
    expect(named("ok-first-machine")).toEqual([["ok-first-machine-1", "success"]]);
    expect(named("ok-second-machine")).toEqual([["ok-second-machine-1", "success"]]);
  });

  it("fails like the runner when a job ends dead, after its retries", async () => {
    const { local, machine, batches } = await bothWays({
      name: "bad",
      jobs: {
        broken: { batch: { file: "count.mjs", args: ["1", "0", "3"] }, retries: 1 },
        after: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["broken"] },
      },
    });
    expect(local.status).toBe("failed");
    expect(local.jobs.broken).toMatchObject({ state: "failed", attempts: 2 });
    expect(machine.status).toBe("failed");
    expect(machine.error?.message).toContain("Livy pipeline bad failed");
    const machineBatches = batches.filter((b) => b.name?.includes("-machine-"));
    // Two attempts of the broken job, both dead; the dependent job never started.
    expect(machineBatches.map((b) => [b.name, b.state])).toEqual([
      ["bad-broken-machine-1", "dead"],
      ["bad-broken-machine-2", "dead"],
    ]);
  });

  it("runs parallel branches like the runner", async () => {
    const { local, machine, batches } = await bothWays({
      name: "fan",
      jobs: {
        a: { batch: { file: "count.mjs", args: ["2", "100"] } },
        b: { batch: { file: "count.mjs", args: ["2", "100"] } },
        c: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["a", "b"] },
      },
    });
    expect(local.status).toBe("succeeded");
    expect(machine.status).toBe("succeeded");
    const machineNames = batches.filter((b) => b.name?.includes("-machine-")).map((b) => b.name);
    expect(machineNames.sort()).toEqual(["fan-a-machine-1", "fan-b-machine-1", "fan-c-machine-1"]);
  });
});

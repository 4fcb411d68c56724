// Compiles a pipeline to Amazon States Language: per job the pattern of the original setup
// (Task submit → Wait → Task status → Choice → next job or retry or fail), independent jobs in
// Parallel states, Retry/Catch on every task, an SNS publish when the pipeline fails. Pure.
import { LivyError } from "../errors.js";
import type { Pipeline, PipelineJobSpec } from "./define.js";
import { validateStateMachine } from "./validate.js";

/** An Amazon States Language definition (the parts this compiler emits). */
export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

/** One ASL state, as JSON. */
export type AslState = Record<string, unknown> & { Type: string };

/** Options of {@link toStateMachine}. */
export interface ToStateMachineOptions {
  /** ARN of the Lambda function that submits a job's batch (see `SubmitTaskInput`). */
  submitFunctionArn: string;
  /** ARN of the Lambda function that reads a batch's state (see `StatusTaskInput`). */
  statusFunctionArn: string;
  /** Comment of the state machine. @defaultValue "Livy pipeline <name>" */
  comment?: string;
  /**
   * Validate the definition with asl-validator 4.0.0's rules, ARNs and paths checked (see
   * {@link validateStateMachine}), and throw `INVALID_PIPELINE` (`field: "definition"`) with its
   * errors when it does not validate: e.g. a batch `conf` key ending in `.$`, which Step
   * Functions would read as a JSONPath. The first validation in a process compiles
   * asl-validator's schemas (about a second); later ones take tens of milliseconds.
   * @defaultValue false
   */
  validate?: boolean;
}

/** What the submit task receives: the job's batch request, still with `{{input}}` references. */
export interface SubmitTaskInput {
  pipeline: string;
  job: string;
  /** The execution name: with `job` and `attempt` it names the batch, so a retried submit reattaches. */
  execution: string;
  attempt: number;
  batch: Record<string, unknown>;
  /** The execution input the `{{name}}` references are rendered with. */
  input: Record<string, unknown>;
  /** Seconds after which the status task kills the batch, if the job has a limit. */
  timeoutSeconds?: number;
}

/** What the submit and status tasks return: ids and states only, never logs (256 KiB payloads). */
export interface BatchTaskOutput {
  batchId: number;
  state: string;
  attempt: number;
  /** Epoch milliseconds after which the status task kills the batch (`timeoutSeconds`). */
  deadline?: number;
}

/** What the status task receives. */
export interface StatusTaskInput {
  job: string;
  batchId: number;
  attempt: number;
  deadline?: number;
}

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/;
const FAILED = ["dead", "killed", "error"];

// Lambda's own transient failures, and the error the handlers throw for a transient Livy
// failure (5xx, 429, reset): retried by the state machine, never counted as the job failing.
const TRANSIENT = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "LivyTransientError",
];

/** The JSON path names a state machine uses; kept short so payloads stay small. */
const DATA = "$.livy";

/**
 * Compiles a pipeline to an ASL definition. Jobs are grouped in stages by their depth in the
 * DAG; a stage of several jobs is a Parallel state with one branch per job. The whole run sits
 * in one Parallel state whose Catch publishes to `onFailure.snsTopicArn` (when set) and fails the
 * execution; a job failure carries the error `LivyJobFailed`.
 */
export function toStateMachine(
  pipeline: Pipeline,
  options: ToStateMachineOptions,
): StateMachineDefinition {
  for (const field of ["submitFunctionArn", "statusFunctionArn"] as const) {
    if (!LAMBDA_ARN.test(String(options?.[field]))) {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid ${field}: ${JSON.stringify(options?.[field])} is not a Lambda function ARN`,
        { field },
      );
    }
  }
  const stages = stagesOf(pipeline);
  const inner: Record<string, AslState> = {};
  let startAt = "";
  let previousEnd: AslState | undefined;
  stages.forEach((stage, index) => {
    const name =
      stage.length === 1
        ? undefined
        : `Stage ${index + 1}: ${stage.map((j) => j.name).join(", ")}`.slice(0, 80);
    let first: string;
    let last: AslState;
    if (name === undefined) {
      const states = jobStates(pipeline, stage[0]!, options);
      Object.assign(inner, states.states);
      first = states.startAt;
      last = states.states[states.endAt]!;
    } else {
      last = {
        Type: "Parallel",
        Branches: stage.map((job) => {
          const states = jobStates(pipeline, job, options);
          states.states[states.endAt]!.End = true;
          return { StartAt: states.startAt, States: states.states };
        }),
        ResultPath: null,
      };
      inner[name] = last;
      first = name;
    }
    if (previousEnd) previousEnd.Next = first;
    else startAt = first;
    previousEnd = last;
  });
  previousEnd!.End = true;

  const states: Record<string, AslState> = {
    "Run pipeline": {
      Type: "Parallel",
      Branches: [{ StartAt: startAt, States: inner }],
      ResultPath: null,
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          ResultPath: "$.error",
          Next: pipeline.onFailure ? "Notify failure" : "Pipeline failed",
        },
      ],
      Next: "Pipeline succeeded",
    },
    "Pipeline succeeded": { Type: "Succeed" },
    "Pipeline failed": {
      Type: "Fail",
      Error: "LivyPipelineFailed",
      Cause: `Livy pipeline ${pipeline.name} failed; the execution history names the job and its batch`,
    },
  };
  if (pipeline.onFailure) {
    states["Notify failure"] = {
      Type: "Task",
      Resource: "arn:aws:states:::sns:publish",
      Parameters: {
        TopicArn: pipeline.onFailure.snsTopicArn,
        Subject: `Livy pipeline ${pipeline.name} failed`,
        "Message.$": `States.Format('Livy pipeline ${pipeline.name}, execution {}: {} {}', $$.Execution.Name, $.error.Error, $.error.Cause)`,
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: "Pipeline failed" }],
      Next: "Pipeline failed",
    };
  }
  const definition: StateMachineDefinition = {
    Comment: options.comment ?? `Livy pipeline ${pipeline.name}`,
    StartAt: "Run pipeline",
    States: states,
  };
  if (options.validate) {
    const result = validateStateMachine(definition, { checkArn: true, checkPaths: true });
    if (!result.isValid) {
      throw new LivyError(
        "INVALID_PIPELINE",
        `Pipeline ${pipeline.name} compiles to a state machine that does not validate: ${result.errorsText("; ")}`,
        { field: "definition" },
      );
    }
  }
  return definition;
}

/** Jobs grouped by depth: a job's stage is one more than its deepest dependency's. */
export function stagesOf(pipeline: Pipeline): PipelineJobSpec[][] {
  const depth = new Map<string, number>();
  for (const job of pipeline.jobs) {
    depth.set(job.name, Math.max(-1, ...job.dependsOn.map((d) => depth.get(d)!)) + 1);
  }
  const stages: PipelineJobSpec[][] = [];
  for (const job of pipeline.jobs) {
    const at = depth.get(job.name)!;
    stages[at] = [...(stages[at] ?? []), job];
  }
  return stages;
}

function jobStates(
  pipeline: Pipeline,
  job: PipelineJobSpec,
  options: ToStateMachineOptions,
): { startAt: string; endAt: string; states: Record<string, AslState> } {
  const n = (step: string) => `${job.name} ${step}`;
  const retry = [{ ErrorEquals: TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }];
  const failed = n("failed");
  const catchAll = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: failed }];
  const states: Record<string, AslState> = {
    [n("start")]: { Type: "Pass", Result: { attempt: 1 }, ResultPath: DATA, Next: n("submit") },
    [n("submit")]: {
      Type: "Task",
      Resource: options.submitFunctionArn,
      Parameters: {
        pipeline: pipeline.name,
        job: job.name,
        "execution.$": "$$.Execution.Name",
        "attempt.$": `${DATA}.attempt`,
        batch: job.batch,
        "input.$": "$$.Execution.Input",
        ...(job.timeoutSeconds ? { timeoutSeconds: job.timeoutSeconds } : {}),
      },
      ResultPath: DATA,
      Retry: retry,
      Catch: catchAll,
      Next: n("wait"),
    },
    [n("wait")]: { Type: "Wait", Seconds: pipeline.pollSeconds, Next: n("status") },
    [n("status")]: {
      Type: "Task",
      Resource: options.statusFunctionArn,
      Parameters: {
        job: job.name,
        "batchId.$": `${DATA}.batchId`,
        "attempt.$": `${DATA}.attempt`,
        ...(job.timeoutSeconds ? { "deadline.$": `${DATA}.deadline` } : {}),
      },
      ResultPath: DATA,
      Retry: retry,
      Catch: catchAll,
      Next: n("done?"),
    },
    [n("done?")]: {
      Type: "Choice",
      Choices: [
        { Variable: `${DATA}.state`, StringEquals: "success", Next: n("succeeded") },
        {
          Or: FAILED.map((state) => ({ Variable: `${DATA}.state`, StringEquals: state })),
          Next: job.retries > 0 ? n("retry?") : failed,
        },
      ],
      Default: n("wait"),
    },
    [n("succeeded")]: { Type: "Pass" },
    [failed]: {
      Type: "Fail",
      Error: "LivyJobFailed",
      Cause: `Livy job ${job.name} of pipeline ${pipeline.name} failed (its batch ended dead, error or killed, or a task failed)`,
    },
  };
  if (job.retries > 0) {
    states[n("retry?")] = {
      Type: "Choice",
      Choices: [
        {
          Variable: `${DATA}.attempt`,
          NumericLessThanEquals: job.retries,
          Next: n("next attempt"),
        },
      ],
      Default: failed,
    };
    states[n("next attempt")] = {
      Type: "Pass",
      Parameters: { "attempt.$": `States.MathAdd(${DATA}.attempt, 1)` },
      ResultPath: DATA,
      Next: n("submit"),
    };
  }
  return { startAt: n("start"), endAt: n("succeeded"), states };
}

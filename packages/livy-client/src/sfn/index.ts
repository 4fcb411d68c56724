// Deploys a pipeline's state machine to AWS Step Functions and runs it there, through the AWS
// SDK v3 client the caller configures (region, credentials, endpoint).
import { createHash } from "node:crypto";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
  UpdateStateMachineCommand,
} from "@aws-sdk/client-sfn";
import { LivyError } from "../errors.js";
import { type StateMachineDefinition, toStateMachine } from "../pipeline/asl.js";
import { type Pipeline, resolveInput } from "../pipeline/define.js";
import { type PipelineExecutionJob, summarizePipelineHistory } from "../pipeline/history.js";

export type {
  PipelineExecutionJob,
  PipelineExecutionJobState,
  PipelineHistoryEvent,
} from "../pipeline/history.js";
export { summarizePipelineHistory } from "../pipeline/history.js";

/** What every call here takes: the SDK client, and a signal to cancel. */
export interface SfnCallOptions {
  /** A Step Functions client (`new SFNClient({ region, endpoint })`); credentials come from its provider chain. */
  client: SFNClient;
  /** Cancels the requests in flight. @defaultValue none */
  signal?: AbortSignal;
}

/** Options of {@link deployPipeline}. */
export interface DeployPipelineOptions extends SfnCallOptions {
  /** The IAM role the state machine runs as (it must be allowed to invoke both functions). */
  roleArn: string;
  /** ARN of the deployed submit handler (`@tinkerbox/livy-client/lambda`, `index.submit`). */
  submitFunctionArn: string;
  /** ARN of the deployed status handler (`index.status`). */
  statusFunctionArn: string;
  /** State machine name. @defaultValue the pipeline's name */
  name?: string;
  /**
   * Validate the compiled definition locally before any AWS call (asl-validator 4.0.0's rules,
   * ARNs and paths checked: see `toStateMachine`'s `validate`), so a mistyped function ARN is an
   * `INVALID_PIPELINE` error here, not `InvalidDefinition` from AWS after the lookups.
   * @defaultValue true
   */
  validate?: boolean;
}

/** What {@link deployPipeline} did. */
export interface DeployPipelineResult {
  stateMachineArn: string;
  /** `created`, `updated` (definition or role changed) or `unchanged`. */
  action: "created" | "updated" | "unchanged";
  definition: StateMachineDefinition;
}

function awsFailure(error: unknown, doing: string): LivyError {
  if (error instanceof LivyError) return error;
  const e = error as { name?: string; message?: string };
  if (e?.name === "AbortError") {
    return new LivyError("ABORTED", `${doing} was aborted`, { cause: error });
  }
  return new LivyError(
    "AWS_ERROR",
    `${doing} failed: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`,
    {
      cause: error,
      ...(e?.name ? { awsError: e.name } : {}),
    },
  );
}

async function call<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw awsFailure(error, doing);
  }
}

/** The ARN of the state machine with this name, or undefined (ListStateMachines, every page). */
export async function findStateMachine(
  name: string,
  options: SfnCallOptions,
): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await call("ListStateMachines", () =>
      options.client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }), {
        abortSignal: options.signal,
      }),
    );
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/**
 * Compiles the pipeline and creates its state machine, or updates it when one of that name
 * exists and its definition or role differ. Idempotent: a second deploy of the same pipeline
 * changes nothing (`unchanged`).
 */
export async function deployPipeline(
  pipeline: Pipeline,
  options: DeployPipelineOptions,
): Promise<DeployPipelineResult> {
  const definition = toStateMachine(pipeline, {
    submitFunctionArn: options.submitFunctionArn,
    statusFunctionArn: options.statusFunctionArn,
    validate: options.validate ?? true,
  });
  const text = JSON.stringify(definition);
  const name = options.name ?? pipeline.name;
  const { client, signal } = options;
  for (let attempt = 0; ; attempt++) {
    const existing = await findStateMachine(name, options);
    if (existing) {
      const current = await call("DescribeStateMachine", () =>
        client.send(new DescribeStateMachineCommand({ stateMachineArn: existing }), {
          abortSignal: signal,
        }),
      );
      if (current.definition === text && current.roleArn === options.roleArn) {
        return { stateMachineArn: existing, action: "unchanged", definition };
      }
      await call("UpdateStateMachine", () =>
        client.send(
          new UpdateStateMachineCommand({
            stateMachineArn: existing,
            definition: text,
            roleArn: options.roleArn,
          }),
          { abortSignal: signal },
        ),
      );
      return { stateMachineArn: existing, action: "updated", definition };
    }
    try {
      const created = await client.send(
        new CreateStateMachineCommand({
          name,
          definition: text,
          roleArn: options.roleArn,
          type: "STANDARD",
        }),
        { abortSignal: signal },
      );
      return { stateMachineArn: created.stateMachineArn!, action: "created", definition };
    } catch (error) {
      // Someone created it between our list and our create: update that one instead.
      if ((error as Error)?.name === "StateMachineAlreadyExists" && attempt === 0) continue;
      throw awsFailure(error, `CreateStateMachine ${name}`);
    }
  }
}

/** Options of {@link startPipeline}. */
export interface StartPipelineOptions extends SfnCallOptions {
  /** The execution input: values for the pipeline's `input` (defaults fill the rest). @defaultValue {} */
  input?: Readonly<Record<string, string>>;
  /**
   * Execution name. Step Functions keeps a name for 90 days, so the default, derived from the
   * pipeline and the input, makes a repeated start of the same input the same execution (while
   * it runs) or an `ExecutionAlreadyExists` error (after). @defaultValue `<sha256 of name and input>`
   */
  name?: string;
  /** The state machine. @defaultValue the one named like the pipeline (ListStateMachines) */
  stateMachineArn?: string;
}

/** A started execution. */
export interface StartedPipelineExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  startDate: Date;
  /** The input as sent, defaults included. */
  input: Record<string, string>;
}

/** The default execution name: the same pipeline and input give the same name. */
export function executionNameFor(
  pipeline: Pipeline,
  input: Readonly<Record<string, string>>,
): string {
  const canonical = JSON.stringify(Object.entries(input).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash("sha256").update(`${pipeline.name}\n${canonical}`).digest("hex").slice(0, 40);
}

async function stateMachineOf(
  pipeline: Pipeline,
  options: SfnCallOptions & { stateMachineArn?: string },
) {
  const arn = options.stateMachineArn ?? (await findStateMachine(pipeline.name, options));
  if (!arn) {
    throw new LivyError(
      "AWS_ERROR",
      `Pipeline ${pipeline.name} is not deployed: no state machine named ${pipeline.name}; run livy pipeline deploy first`,
      { awsError: "StateMachineDoesNotExist" },
    );
  }
  return arn;
}

/** Starts an execution of a deployed pipeline; the input is checked against the pipeline first. */
export async function startPipeline(
  pipeline: Pipeline,
  options: StartPipelineOptions,
): Promise<StartedPipelineExecution> {
  const input = resolveInput(pipeline, options.input ?? {});
  const stateMachineArn = await stateMachineOf(pipeline, options);
  const name = options.name ?? executionNameFor(pipeline, input);
  const started = await call(`StartExecution ${name}`, () =>
    options.client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      { abortSignal: options.signal },
    ),
  );
  return {
    executionArn: started.executionArn!,
    stateMachineArn,
    name,
    startDate: started.startDate!,
    input,
  };
}

/** An execution and its jobs. */
export interface PipelineExecutionStatus {
  executionArn: string;
  name: string;
  /** `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`. */
  status: string;
  startDate?: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
  jobs: Record<string, PipelineExecutionJob>;
  /** The first job that failed, if any. */
  failedJob?: string;
}

/** Options of {@link pipelineExecutionStatus}. */
export interface PipelineExecutionStatusOptions extends SfnCallOptions {
  /** Execution name. @defaultValue the pipeline's latest execution (ListExecutions) */
  execution?: string;
  /** The state machine. @defaultValue the one named like the pipeline */
  stateMachineArn?: string;
}

/** DescribeExecution plus each job's state, read from GetExecutionHistory. */
export async function pipelineExecutionStatus(
  pipeline: Pipeline,
  options: PipelineExecutionStatusOptions,
): Promise<PipelineExecutionStatus> {
  const { client, signal } = options;
  const stateMachineArn = await stateMachineOf(pipeline, options);
  let executionArn: string;
  if (options.execution) {
    executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${options.execution}`;
  } else {
    const latest = await call("ListExecutions", () =>
      client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }), {
        abortSignal: signal,
      }),
    );
    const first = latest.executions?.[0]?.executionArn;
    if (!first) {
      throw new LivyError(
        "AWS_ERROR",
        `Pipeline ${pipeline.name} has no executions yet; start one with livy pipeline start`,
        {
          awsError: "ExecutionDoesNotExist",
        },
      );
    }
    executionArn = first;
  }
  const described = await call("DescribeExecution", () =>
    client.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: signal }),
  );
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call("GetExecutionHistory", () =>
      client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }), {
        abortSignal: signal,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const status = described.status ?? "RUNNING";
  const jobs = summarizePipelineHistory(
    events,
    pipeline.jobs.map((j) => j.name),
    status,
  );
  const failedJob = Object.entries(jobs).find(([, job]) => job.state === "failed")?.[0];
  return {
    executionArn,
    name: described.name ?? executionArn.split(":").at(-1)!,
    status,
    ...(described.startDate ? { startDate: described.startDate } : {}),
    ...(described.stopDate ? { stopDate: described.stopDate } : {}),
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
    jobs,
    ...(failedJob ? { failedJob } : {}),
  };
}

/** Options of {@link waitForPipelineExecution}. */
export interface WaitForPipelineExecutionOptions extends PipelineExecutionStatusOptions {
  /** Time between two looks. @defaultValue 5000 */
  pollIntervalMs?: number;
  /** Called with each status whose job states changed. @defaultValue none */
  onProgress?: (status: PipelineExecutionStatus) => void;
}

/** Polls {@link pipelineExecutionStatus} until the execution closes; returns the last status. */
export async function waitForPipelineExecution(
  pipeline: Pipeline,
  options: WaitForPipelineExecutionOptions,
): Promise<PipelineExecutionStatus> {
  const interval = options.pollIntervalMs ?? 5000;
  let seen = "";
  let target = options;
  for (;;) {
    const status = await pipelineExecutionStatus(pipeline, target);
    target = { ...options, execution: status.name };
    const key = JSON.stringify([status.status, status.jobs]);
    if (key !== seen) {
      seen = key;
      options.onProgress?.(status);
    }
    if (status.status !== "RUNNING") return status;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, interval);
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(
            new LivyError("ABORTED", "Waiting for the execution was aborted", {
              cause: options.signal?.reason,
            }),
          );
        },
        { once: true },
      );
    });
  }
}

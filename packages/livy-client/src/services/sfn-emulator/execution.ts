// One execution of a state machine: the definition runs in aws-local-stepfunctions, Task states
// call the in-process Lambda handlers, and the engine's events become the history events of the
// real service (GetExecutionHistory's HistoryEvent shapes).
import { randomUUID } from "node:crypto";
import { SFN_LIMITS, utf8Bytes } from "./limits.js";

/**
 * A Lambda function served in-process: the Task's input in, its result out (may be async).
 * Typed with a `never` event so handlers of any event type fit (the ./lambda handlers do).
 */
export type SfnLambdaHandler = (event: never) => unknown;

/** Status of an execution, as DescribeExecution reports it. */
export type SfnExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/** One history event in the wire shape (`timestamp` in epoch milliseconds here). */
export interface SfnHistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

/** A message the emulator took from an `arn:aws:states:::sns:publish` task. */
export interface SfnPublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  executionArn: string;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: SfnExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: SfnHistoryEvent[];
  /** Settles when the execution has closed. */
  done: Promise<void>;
  stop(error?: string, cause?: string): void;
}

export interface RunSettings {
  region: string;
  lambdaFunctions: Readonly<Record<string, SfnLambdaHandler>>;
  waitTimeMs: number | undefined;
  retryIntervalMs: number | undefined;
  now: () => number;
  onPublish: (message: SfnPublishedMessage) => void;
}

type Json = unknown;
interface EngineEvent {
  type: string;
  timestamp: number;
  input?: Json;
  output?: Json;
  Error?: string;
  Cause?: unknown;
  state?: { name: string; type: string; input: Json; output?: Json };
  index?: number;
  parentState?: { name: string };
}
export interface Engine {
  StateMachine: new (
    definition: unknown,
    options: unknown,
  ) => {
    run(
      input: Json,
      options: unknown,
    ): { abort(): void; result: Promise<Json>; eventLogs: AsyncGenerator<EngineEvent> };
  };
}

let engine: Promise<Engine> | undefined;

/**
 * aws-local-stepfunctions 3.0.0 calls `Promise.withResolvers` (Node 22+); on Node 20 the emulator
 * adds it once, when the first execution starts.
 */
export function loadEngine(): Promise<Engine> {
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const created = new Promise((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise: created, resolve, reject };
  };
  engine ??= import("aws-local-stepfunctions") as unknown as Promise<Engine>;
  return engine;
}

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9_$-]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const SNS_PUBLISH = /^arn:aws[a-z-]*:states:::sns:publish$/;

interface TaskBinding {
  kind: "lambda" | "task";
  resource: string;
  call: (input: Json) => Promise<Json>;
}

/** Every state of a definition, branches and Map processors included (names are unique). */
function statesOf(definition: Record<string, unknown>): [string, Record<string, unknown>][] {
  const found: [string, Record<string, unknown>][] = [];
  const visit = (machine: unknown) => {
    const states = (machine as { States?: Record<string, Record<string, unknown>> })?.States;
    for (const [name, state] of Object.entries(states ?? {})) {
      found.push([name, state]);
      for (const branch of (state.Branches as unknown[]) ?? []) visit(branch);
      if (state.Iterator) visit(state.Iterator);
      if (state.ItemProcessor) visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return found;
}

function lambdaError(error: unknown): Error {
  // What Step Functions reports for a failed Lambda function: the error type as Error and the
  // function's error JSON as Cause.
  const source = error instanceof Error ? error : new Error(String(error));
  const failure = new Error(
    JSON.stringify({ errorMessage: source.message, errorType: source.name, trace: [] }),
  );
  failure.name = source.name === "Error" ? "Error" : source.name;
  return failure;
}

function findFunction(
  functions: Readonly<Record<string, SfnLambdaHandler>>,
  reference: string,
): SfnLambdaHandler | undefined {
  if (functions[reference]) return functions[reference];
  const name = LAMBDA_ARN.exec(reference)?.[1] ?? reference;
  return functions[name];
}

function notFound(reference: string): Error {
  const error = new Error(
    `Function not found: ${reference} (the emulator serves only the functions it was given)`,
  );
  error.name = "Lambda.ResourceNotFoundException";
  return error;
}

/** Starts an execution; the record fills in as the engine reports events. */
export function startExecution(
  { StateMachine }: Engine,
  definition: Record<string, unknown>,
  record: Omit<ExecutionRecord, "done" | "stop" | "history" | "status">,
  roleArn: string,
  stateMachineName: string,
  settings: RunSettings,
): ExecutionRecord {
  const execution = record as ExecutionRecord;
  execution.status = "RUNNING";
  execution.history = [];
  const history = execution.history;
  // Set when the execution must end: stopped (ABORTED) or a limit hit (FAILED).
  let closing: { status: SfnExecutionStatus; error: string; cause: string } | undefined;
  const stamp = () => settings.now();
  const add = (type: string, details: Record<string, unknown> = {}) => {
    if (closing?.status === "FAILED" && !type.startsWith("Execution")) return;
    const id = history.length + 1;
    history.push({ timestamp: stamp(), type, id, previousEventId: id - 1, ...details });
    if (history.length >= SFN_LIMITS.historyMaxEvents && execution.status === "RUNNING") {
      failWith(
        "States.Runtime",
        `The execution reached the maximum number of history events (${SFN_LIMITS.historyMaxEvents}).`,
      );
    }
  };
  const json = (value: Json) => JSON.stringify(value ?? null);
  const payload = (key: string, value: Json) => ({
    [key]: json(value),
    [`${key}Details`]: { truncated: false },
  });

  // A Task's invocation waits for the engine's StateEntered/StateRetried event of its state to
  // be in the history first, so its Scheduled/Started/Succeeded events follow in order.
  const turns = new Map<string, { granted: number; waiting: (() => void)[] }>();
  const turnOf = (name: string) => {
    let turn = turns.get(name);
    if (!turn) {
      turn = { granted: 0, waiting: [] };
      turns.set(name, turn);
    }
    return turn;
  };
  const grant = (name: string) => {
    const turn = turnOf(name);
    const next = turn.waiting.shift();
    if (next) next();
    else turn.granted += 1;
  };
  const take = (name: string) =>
    new Promise<void>((resolve) => {
      const turn = turnOf(name);
      if (turn.granted > 0) {
        turn.granted -= 1;
        resolve();
      } else turn.waiting.push(resolve);
    });

  const bindings = new Map<string, TaskBinding>();
  const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of statesOf(definition)) {
    if (state.Type === "Wait" && settings.waitTimeMs !== undefined) {
      waitTimeOverrides[name] = settings.waitTimeMs;
    }
    if (Array.isArray(state.Retry) && settings.retryIntervalMs !== undefined) {
      retryIntervalOverrides[name] = settings.retryIntervalMs;
    }
    if (state.Type !== "Task") continue;
    const resource = String(state.Resource);
    let binding: TaskBinding;
    if (LAMBDA_ARN.test(resource)) {
      binding = {
        kind: "lambda",
        resource,
        call: async (input) => {
          const fn = findFunction(settings.lambdaFunctions, resource);
          if (!fn) throw notFound(resource);
          return (fn as (event: unknown) => unknown)(input);
        },
      };
    } else if (LAMBDA_INVOKE.test(resource)) {
      binding = {
        kind: "task",
        resource,
        call: async (input) => {
          const { FunctionName, Payload } = (input ?? {}) as {
            FunctionName?: string;
            Payload?: Json;
          };
          const fn = findFunction(settings.lambdaFunctions, String(FunctionName));
          if (!fn) throw notFound(String(FunctionName));
          return {
            ExecutedVersion: "$LATEST",
            Payload: await (fn as (event: unknown) => unknown)(Payload),
            StatusCode: 200,
          };
        },
      };
    } else if (SNS_PUBLISH.test(resource)) {
      binding = {
        kind: "task",
        resource,
        call: async (input) => {
          const { TopicArn, Subject, Message } = (input ?? {}) as Record<string, unknown>;
          settings.onPublish({
            topicArn: String(TopicArn),
            ...(Subject === undefined ? {} : { subject: String(Subject) }),
            message: typeof Message === "string" ? Message : JSON.stringify(Message),
            executionArn: execution.executionArn,
          });
          return { MessageId: randomUUID() };
        },
      };
    } else {
      binding = {
        kind: "task",
        resource,
        call: async () => {
          const error = new Error(`The emulator does not integrate the resource ${resource}`);
          error.name = "States.TaskFailed";
          throw error;
        },
      };
    }
    bindings.set(name, binding);
    taskResourceLocalHandlers[name] = async (input) => {
      await take(name);
      if (binding.kind === "lambda") {
        add("LambdaFunctionScheduled", {
          lambdaFunctionScheduledEventDetails: {
            resource,
            ...payload("input", input),
          },
        });
        add("LambdaFunctionStarted");
      } else {
        const [, service = "", action = ""] =
          /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(resource) ?? [];
        add("TaskScheduled", {
          taskScheduledEventDetails: {
            resourceType: service,
            resource: action,
            region: settings.region,
            parameters: json(input),
          },
        });
        add("TaskStarted", {
          taskStartedEventDetails: { resourceType: service, resource: action },
        });
      }
      try {
        const output = await binding.call(input);
        if (binding.kind === "lambda") {
          add("LambdaFunctionSucceeded", {
            lambdaFunctionSucceededEventDetails: payload("output", output),
          });
        } else {
          add("TaskSucceeded", {
            taskSucceededEventDetails: { resource, ...payload("output", output) },
          });
        }
        return output as Json;
      } catch (error) {
        const failure = binding.kind === "lambda" ? lambdaError(error) : (error as Error);
        const details = { error: failure.name, cause: failure.message };
        if (binding.kind === "lambda")
          add("LambdaFunctionFailed", { lambdaFunctionFailedEventDetails: details });
        else add("TaskFailed", { taskFailedEventDetails: { resource, ...details } });
        throw failure;
      }
    };
  }

  const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  const input = JSON.parse(execution.input) as Json;
  const run = machine.run(input, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: execution.executionArn,
        Name: execution.name,
        RoleArn: roleArn,
      },
      StateMachine: { Id: execution.stateMachineArn, Name: stateMachineName },
    },
  });

  function failWith(error: string, cause: string) {
    closing = { status: "FAILED", error, cause };
    run.abort();
  }
  execution.stop = (error = "", cause = "") => {
    if (execution.status !== "RUNNING" || closing) return;
    closing = { status: "ABORTED", error, cause };
    run.abort();
  };
  const close = (status: SfnExecutionStatus, fields: Partial<ExecutionRecord>) => {
    if (execution.status !== "RUNNING") return;
    Object.assign(execution, fields);
    execution.status = status;
    execution.stopDate = stamp();
  };

  add("ExecutionStarted", {
    executionStartedEventDetails: { ...payload("input", input), roleArn },
  });
  const consume = async () => {
    for await (const event of run.eventLogs) {
      if (execution.status !== "RUNNING") break;
      // A limit was hit (payload size, history length): the execution fails right there, so what
      // the engine reports after that point is not history, only how it ended.
      if (closing?.status === "FAILED") {
        if (!event.type.startsWith("Execution") || event.type === "ExecutionStarted") continue;
        add("ExecutionFailed", {
          executionFailedEventDetails: { error: closing.error, cause: closing.cause },
        });
        close("FAILED", { error: closing.error, cause: closing.cause });
        break;
      }
      const state = event.state;
      const entered = { name: state?.name, ...payload("input", state?.input) };
      switch (event.type) {
        case "ExecutionStarted":
          break;
        case "StateEntered":
          add(`${state!.type}StateEntered`, { stateEnteredEventDetails: entered });
          if (state!.type === "Parallel") add("ParallelStateStarted");
          if (state!.type === "Map")
            add("MapStateStarted", { mapStateStartedEventDetails: { length: 0 } });
          if (bindings.has(state!.name)) grant(state!.name);
          if (utf8Bytes(json(state!.input)) > SFN_LIMITS.payloadMaxBytes) {
            failWith(
              "States.DataLimitExceeded",
              `The state/task '${state!.name}' has returned a result with a size exceeding the maximum number of bytes service limit.`,
            );
          }
          break;
        case "StateRetried":
          if (bindings.has(state!.name)) grant(state!.name);
          break;
        case "StateFailed":
          if (state!.type === "Parallel" || state!.type === "Map") {
            add(`${state!.type}StateFailed`, {
              error: event.Error,
              cause: String(event.Cause ?? ""),
            });
          } else if (state!.type === "Task" && event.Error === "States.Timeout") {
            const binding = bindings.get(state!.name);
            const details = { error: "States.Timeout", cause: "" };
            if (binding?.kind === "lambda") {
              add("LambdaFunctionTimedOut", { lambdaFunctionTimedOutEventDetails: details });
            } else
              add("TaskTimedOut", {
                taskTimedOutEventDetails: { resource: binding?.resource, ...details },
              });
          }
          break;
        case "StateExited": {
          const output = json(state!.output);
          if (state!.type === "Parallel") add("ParallelStateSucceeded");
          if (state!.type === "Map") add("MapStateSucceeded");
          add(`${state!.type}StateExited`, {
            stateExitedEventDetails: { name: state!.name, ...payload("output", state!.output) },
          });
          if (utf8Bytes(output) > SFN_LIMITS.payloadMaxBytes) {
            failWith(
              "States.DataLimitExceeded",
              `The state/task '${state!.name}' has returned a result with a size exceeding the maximum number of bytes service limit.`,
            );
          }
          break;
        }
        case "MapIterationStarted":
        case "MapIterationSucceeded":
        case "MapIterationFailed": {
          const key = `mapIteration${event.type.slice("MapIteration".length)}EventDetails`;
          add(event.type, { [key]: { name: event.parentState?.name, index: event.index } });
          break;
        }
        case "ExecutionSucceeded":
          add("ExecutionSucceeded", {
            executionSucceededEventDetails: payload("output", event.output),
          });
          close("SUCCEEDED", { output: json(event.output) });
          break;
        case "ExecutionFailed": {
          const cause = typeof event.Cause === "string" ? event.Cause : json(event.Cause);
          add("ExecutionFailed", {
            executionFailedEventDetails: { error: event.Error, cause },
          });
          close("FAILED", { error: event.Error ?? "", cause });
          break;
        }
        case "ExecutionTimeout":
          add("ExecutionTimedOut", {
            executionTimedOutEventDetails: { error: "States.Timeout", cause: "" },
          });
          close("TIMED_OUT", { error: "States.Timeout", cause: "" });
          break;
        case "ExecutionAborted": {
          const reason = closing ?? { status: "ABORTED" as const, error: "", cause: "" };
          if (reason.status === "FAILED") {
            add("ExecutionFailed", {
              executionFailedEventDetails: { error: reason.error, cause: reason.cause },
            });
          } else {
            add("ExecutionAborted", {
              executionAbortedEventDetails: { error: reason.error, cause: reason.cause },
            });
          }
          close(reason.status, { error: reason.error, cause: reason.cause });
          break;
        }
        default:
          break; // ParallelBranch* events have no counterpart in the service's history
      }
    }
  };
  const consumed = consume();
  execution.done = run.result.then(
    async () => {
      await consumed;
    },
    async () => {
      await consumed;
    },
  );
  return execution;
}

// A pipeline is a DAG of Livy batches, defined once and run locally (runner.ts) or, later,
// compiled to a state machine. Pure: validation only, no I/O.
import type { CreateBatchRequest } from "../core/types.js";
import { validateBatchRequest } from "../core/validate.js";
import { isLivyError, LivyError } from "../errors.js";

/** One job of a pipeline: a Livy batch and where it sits in the DAG. */
export interface PipelineJob {
  /**
   * The batch to submit. Strings may reference the execution input as `{{name}}` (for example
   * `"{{rootPath}}/trips.csv"`); every name must be declared in the pipeline's `input`.
   * `name` is set by the runner (pipeline, job, execution, attempt) and must not be given.
   */
  batch: Omit<CreateBatchRequest, "name">;
  /** Jobs that must succeed before this one starts. @defaultValue [] */
  dependsOn?: readonly string[];
  /** Extra attempts after a failed or timed-out one (0–10). @defaultValue 0 */
  retries?: number;
  /** Time limit of one attempt; the batch is killed when it passes. @defaultValue no limit (the wait's 24 h) */
  timeoutSeconds?: number;
}

/** What {@link definePipeline} takes. */
export interface PipelineDefinition {
  /** Pipeline name: 1–80 letters, digits, `-` or `_` (a Step Functions state machine name). */
  name: string;
  /** The jobs by name: a letter, then up to 39 letters, digits, `-` or `_`. */
  jobs: Readonly<Record<string, PipelineJob>>;
  /** Seconds between status checks of a running batch. @defaultValue 30 */
  pollSeconds?: number;
  /**
   * The execution input the jobs reference, by name: a default value, or `null` when the input
   * must be given at run time. @defaultValue {}
   */
  input?: Readonly<Record<string, string | null>>;
  /** Notify an SNS topic when the pipeline fails (used by the state machine). @defaultValue none */
  onFailure?: { snsTopicArn: string };
}

/** A validated pipeline: jobs in a topological order, every reference checked. */
export interface Pipeline {
  readonly name: string;
  /** Jobs in a topological order (dependencies first; ties in definition order). */
  readonly jobs: readonly PipelineJobSpec[];
  readonly pollSeconds: number;
  readonly input: Readonly<Record<string, string | null>>;
  readonly onFailure: { readonly snsTopicArn: string } | undefined;
}

/** One validated job. */
export interface PipelineJobSpec {
  readonly name: string;
  readonly batch: Readonly<Omit<CreateBatchRequest, "name">>;
  readonly dependsOn: readonly string[];
  readonly retries: number;
  readonly timeoutSeconds: number | undefined;
}

const PIPELINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const JOB_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function invalid(field: string, message: string, cause?: unknown): LivyError {
  return new LivyError("INVALID_PIPELINE", `Invalid pipeline: ${message}`, {
    field,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Every `{{name}}` referenced in the strings of a value. */
export function inputReferences(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (item: unknown) => {
    if (typeof item === "string")
      for (const match of item.matchAll(REFERENCE)) found.add(match[1]!);
    else if (Array.isArray(item)) item.forEach(visit);
    else if (item && typeof item === "object") Object.values(item).forEach(visit);
  };
  visit(value);
  return [...found];
}

/** The first object key ending in `.$` anywhere in `value` (Step Functions' path-key suffix). */
function pathLikeKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const key = pathLikeKey(item);
      if (key !== undefined) return key;
    }
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key.endsWith(".$")) return key;
      const inner = pathLikeKey(item);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/**
 * Validates a pipeline definition: names, dependencies (unknown, self, duplicate, cycles), retries,
 * timeouts, input references and each batch request. Throws `INVALID_PIPELINE` naming the field;
 * nothing runs before a definition passes.
 */
export function definePipeline(definition: PipelineDefinition): Pipeline {
  if (typeof definition !== "object" || definition === null) {
    throw invalid("pipeline", "expected an object with name and jobs");
  }
  const { name, jobs } = definition;
  if (typeof name !== "string" || !PIPELINE_NAME.test(name)) {
    throw invalid("name", `name ${JSON.stringify(name)} must be 1–80 letters, digits, - or _`);
  }
  if (typeof jobs !== "object" || jobs === null || Object.keys(jobs).length === 0) {
    throw invalid("jobs", "a pipeline needs at least one job");
  }
  const pollSeconds = definition.pollSeconds ?? 30;
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 3600) {
    throw invalid(
      "pollSeconds",
      `pollSeconds must be an integer from 1 to 3600, got ${pollSeconds}`,
    );
  }
  const input = definition.input ?? {};
  for (const [key, value] of Object.entries(input)) {
    if (!INPUT_NAME.test(key))
      throw invalid(`input.${key}`, `input name ${JSON.stringify(key)} is not an identifier`);
    if (value !== null && typeof value !== "string") {
      throw invalid(`input.${key}`, `input ${key} must default to a string or be null (required)`);
    }
  }
  const onFailure = definition.onFailure;
  if (onFailure !== undefined && !SNS_ARN.test(String(onFailure?.snsTopicArn))) {
    throw invalid(
      "onFailure.snsTopicArn",
      `${JSON.stringify(onFailure?.snsTopicArn)} is not an SNS topic ARN`,
    );
  }
  const specs = new Map<string, PipelineJobSpec>();
  for (const [jobName, job] of Object.entries(jobs)) {
    const field = `jobs.${jobName}`;
    if (!JOB_NAME.test(jobName)) {
      throw invalid(
        field,
        `job name ${JSON.stringify(jobName)} must start with a letter and have at most 40 letters, digits, - or _`,
      );
    }
    if (typeof job !== "object" || job === null)
      throw invalid(field, `job ${jobName} must be an object`);
    if ("name" in (job.batch ?? {})) {
      throw invalid(
        `${field}.batch.name`,
        `job ${jobName} must not name its batch: the runner names each attempt`,
      );
    }
    try {
      validateBatchRequest(job.batch as CreateBatchRequest);
    } catch (error) {
      if (isLivyError(error))
        throw invalid(
          `${field}.${error.field ?? "batch"}`,
          `job ${jobName}: ${error.message}`,
          error,
        );
      throw error;
    }
    const pathKey = pathLikeKey(job.batch);
    if (pathKey !== undefined) {
      throw invalid(
        `${field}.batch`,
        `job ${jobName}: key ${JSON.stringify(pathKey)} ends in ".$", which Step Functions reads as a JSONPath in the compiled state machine; rename it`,
      );
    }
    for (const reference of inputReferences(job.batch)) {
      if (!(reference in input)) {
        throw invalid(
          `${field}.batch`,
          `job ${jobName} references {{${reference}}}, which is not declared in input`,
        );
      }
    }
    const dependsOn = [...(job.dependsOn ?? [])];
    if (new Set(dependsOn).size !== dependsOn.length) {
      throw invalid(`${field}.dependsOn`, `job ${jobName} lists a dependency twice`);
    }
    for (const dependency of dependsOn) {
      if (dependency === jobName)
        throw invalid(`${field}.dependsOn`, `job ${jobName} depends on itself`);
      if (!(dependency in jobs)) {
        throw invalid(
          `${field}.dependsOn`,
          `job ${jobName} depends on unknown job ${JSON.stringify(dependency)}`,
        );
      }
    }
    const retries = job.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
      throw invalid(
        `${field}.retries`,
        `job ${jobName}: retries must be an integer from 0 to 10, got ${retries}`,
      );
    }
    const timeoutSeconds = job.timeoutSeconds;
    if (timeoutSeconds !== undefined && (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)) {
      throw invalid(
        `${field}.timeoutSeconds`,
        `job ${jobName}: timeoutSeconds must be a positive integer, got ${timeoutSeconds}`,
      );
    }
    specs.set(jobName, {
      name: jobName,
      batch: structuredClone(job.batch),
      dependsOn,
      retries,
      timeoutSeconds,
    });
  }
  return Object.freeze({
    name,
    jobs: Object.freeze(topologicalOrder(specs)),
    pollSeconds,
    input: Object.freeze({ ...input }),
    onFailure: onFailure ? Object.freeze({ snsTopicArn: onFailure.snsTopicArn }) : undefined,
  });
}

// Kahn's algorithm, ties in definition order; what remains is on or behind a cycle, and one
// cycle is walked out for the message.
function topologicalOrder(specs: ReadonlyMap<string, PipelineJobSpec>): PipelineJobSpec[] {
  const done = new Set<string>();
  const order: PipelineJobSpec[] = [];
  while (order.length < specs.size) {
    const ready = [...specs.values()].find(
      (job) => !done.has(job.name) && job.dependsOn.every((d) => done.has(d)),
    );
    if (!ready) {
      const remaining = [...specs.values()].filter((job) => !done.has(job.name));
      const path: string[] = [];
      let at = remaining[0]!.name;
      while (!path.includes(at)) {
        path.push(at);
        at = specs.get(at)!.dependsOn.find((d) => !done.has(d))!;
      }
      const cycle = [...path.slice(path.indexOf(at)), at];
      throw invalid(
        `jobs.${cycle[0]}.dependsOn`,
        `the jobs depend on each other in a cycle: ${cycle.join(" → ")}`,
      );
    }
    done.add(ready.name);
    order.push(ready);
  }
  return order;
}

/**
 * The execution input with defaults applied; a missing required input is `INVALID_ARGUMENT`.
 * Unknown keys are kept (a state machine passes its whole input along).
 */
export function resolveInput(
  pipeline: Pipeline,
  given: Readonly<Record<string, unknown>> = {},
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [key, fallback] of Object.entries(pipeline.input)) {
    const value = given[key] ?? fallback;
    if (value === null || value === undefined) {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid input.${key}: pipeline ${pipeline.name} needs it`,
        {
          field: `input.${key}`,
        },
      );
    }
    if (typeof value !== "string") {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid input.${key}: expected a string, got ${typeof value}`,
        {
          field: `input.${key}`,
        },
      );
    }
    resolved[key] = value;
  }
  return resolved;
}

/** A job's batch request with every `{{name}}` replaced by the input value. */
export function renderBatch<T>(batch: T, input: Readonly<Record<string, string>>): T {
  const render = (item: unknown): unknown => {
    if (typeof item === "string")
      return item.replace(REFERENCE, (_, key: string) => input[key] ?? "");
    if (Array.isArray(item)) return item.map(render);
    if (item && typeof item === "object") {
      return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, render(v)]));
    }
    return item;
  };
  return render(batch) as T;
}

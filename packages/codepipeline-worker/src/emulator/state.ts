import { ServiceException } from "./service-exception.js";
import { SERVICE_QUOTAS } from "./service-quotas.js";

export { ServiceException };

/** The life-cycle states of a job, as CodePipeline names them. */
export type EmulatedJobStatus =
  | "Queued"
  | "Dispatched"
  | "InProgress"
  | "Succeeded"
  | "Failed"
  | "TimedOut";

/** An action type id as it travels on the wire. */
export interface ActionTypeIdWire {
  category: string;
  owner: string;
  provider: string;
  version: string;
}

/** An action type as the emulator stores it (the `ActionType` wire shape). */
export interface StoredActionType {
  id: ActionTypeIdWire;
  settings?: Record<string, string>;
  actionConfigurationProperties: Array<{
    name: string;
    required: boolean;
    key: boolean;
    secret: boolean;
    queryable?: boolean;
    description?: string;
    type?: string;
  }>;
  inputArtifactDetails: { minimumCount: number; maximumCount: number };
  outputArtifactDetails: { minimumCount: number; maximumCount: number };
}

/** An artifact reference in job data. */
export interface WireArtifact {
  name: string;
  revision?: string;
  location: { type: "S3"; s3Location: { bucketName: string; objectKey: string } };
}

/** One job as the emulator keeps it. */
export interface EmulatedJob {
  id: string;
  accountId: string;
  actionExecutionId: string;
  status: EmulatedJobStatus;
  nonce: string | undefined;
  deliveries: number;
  createdAt: number;
  dispatchedAt: number | undefined;
  acknowledgedAt: number | undefined;
  finishedAt: number | undefined;
  data: {
    actionTypeId: ActionTypeIdWire;
    actionConfiguration: { configuration: Record<string, string> };
    pipelineContext: Record<string, unknown>;
    inputArtifacts: WireArtifact[];
    outputArtifacts: WireArtifact[];
    continuationToken?: string;
    encryptionKey?: { id: string; type: "KMS" };
  };
  success?: Record<string, unknown>;
  failureDetails?: { type: string; message: string; externalExecutionId?: string };
}

/** An action execution: the chain of jobs of one action run (continuations share it). */
export interface EmulatedExecution {
  actionExecutionId: string;
  status: "InProgress" | "Succeeded" | "Failed";
  jobIds: string[];
  outputArtifacts: WireArtifact[];
  executionDetails?: { summary?: string; externalExecutionId?: string; percentComplete?: number };
  outputVariables?: Record<string, string>;
  currentRevision?: Record<string, unknown>;
  failureDetails?: { type: string; message: string; externalExecutionId?: string };
}

/** Issued artifact credentials and what they may touch. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
  jobId: string;
  bucket: string;
}

export interface EmulatorStateOptions {
  accountId: string;
  now: () => number;
  random: () => number;
  ackTimeoutMs: number;
  jobTimeoutMs: number;
  credentialsTtlMs: number;
  bucket: string;
}

const keyOf = (id: {
  category?: unknown;
  owner?: unknown;
  provider?: unknown;
  version?: unknown;
}) => `${id.category}/${id.owner ?? "Custom"}/${id.provider}/${id.version}`;

const invalid = (message: string) => new ServiceException("ValidationException", message);

/** The stored form of a definition, with the model's defaults filled in, for "identical" checks. */
function canonical(t: StoredActionType): string {
  return JSON.stringify({
    id: t.id,
    settings: Object.fromEntries(
      Object.entries(t.settings ?? {})
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
    props: t.actionConfigurationProperties.map((p) => [
      p.name,
      p.required,
      p.key,
      p.secret,
      p.queryable ?? false,
      p.description ?? null,
      p.type ?? null,
    ]),
    in: t.inputArtifactDetails,
    out: t.outputArtifactDetails,
  });
}

/**
 * The job store and life cycle of the emulated service, without I/O: action types, queued and
 * dispatched jobs with nonces, acknowledgements, results, continuations and timeouts.
 */
export class EmulatorState {
  readonly actionTypes = new Map<string, StoredActionType>();
  /** Deleted types keep their definition: creating the identical one again restores it. */
  readonly deletedActionTypes = new Map<string, StoredActionType>();
  readonly actionTypeTags = new Map<string, Array<{ key: string; value: string }>>();
  readonly jobs = new Map<string, EmulatedJob>();
  readonly executions = new Map<string, EmulatedExecution>();
  readonly credentials = new Map<string, IssuedCredentials>();
  #listeners = new Set<() => void>();

  constructor(readonly options: EmulatorStateOptions) {}

  /** Calls `fn` after every state change. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed() {
    for (const fn of this.#listeners) fn();
  }

  #id(length: number, alphabet = "0123456789abcdef"): string {
    let out = "";
    for (let i = 0; i < length; i++)
      out += alphabet[Math.floor(this.options.random() * alphabet.length)];
    return out;
  }

  /** A UUID-shaped id from the seeded random source. */
  uuid(): string {
    const h = this.#id(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** A short random key segment (artifact object keys). */
  shortId(length = 7): string {
    return this.#id(length, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
  }

  /** Moves timed-out jobs on: dispatched but unacknowledged jobs go back to the queue, stale in-progress jobs time out. */
  sweep(): void {
    const now = this.options.now();
    let changed = false;
    for (const job of this.jobs.values()) {
      if (
        job.status === "Dispatched" &&
        now - (job.dispatchedAt ?? now) >= this.options.ackTimeoutMs
      ) {
        job.status = "Queued";
        job.nonce = undefined;
        changed = true;
      } else if (
        job.status === "InProgress" &&
        now - (job.acknowledgedAt ?? now) >= this.options.jobTimeoutMs
      ) {
        job.status = "TimedOut";
        job.finishedAt = now;
        const failure = {
          type: "JobFailed",
          message: `The job timed out after ${this.options.jobTimeoutMs} ms without a result.`,
        };
        job.failureDetails = failure;
        this.#finishExecution(job, "Failed", { failureDetails: failure });
        changed = true;
      }
    }
    if (changed) this.#changed();
  }

  /**
   * CreateCustomActionType after the model's constraints passed (the wire layer checks those):
   * the rules the model cannot express — unique property names, at most one queryable property
   * (required, not secret), min ≤ max artifacts, `{Config:x}` naming a required non-secret
   * property, tag rules — then create, answer an identical definition idempotently, or restore a
   * deleted type from its identical definition (as the API reference says).
   */
  createCustomActionType(input: Record<string, unknown>): {
    actionType: StoredActionType;
    tags?: Array<{ key: string; value: string }>;
  } {
    const category = input.category as string;
    const provider = input.provider as string;
    const version = input.version as string;
    const props = (input.configurationProperties ??
      []) as StoredActionType["actionConfigurationProperties"];
    const names = new Set<string>();
    for (const p of props) {
      if (names.has(p.name))
        throw invalid(`Configuration property name ${p.name} is used more than once`);
      names.add(p.name);
    }
    const queryable = props.filter((p) => p.queryable);
    if (queryable.length > SERVICE_QUOTAS.maxQueryableProperties)
      throw invalid("Only one configuration property can be queryable");
    for (const p of queryable) {
      if (!p.required || p.secret)
        throw invalid(`Queryable property ${p.name} must be required and not secret`);
    }
    const details = (field: "inputArtifactDetails" | "outputArtifactDetails") => {
      const d = input[field] as { minimumCount: number; maximumCount: number };
      if (d.minimumCount > d.maximumCount) {
        throw invalid(
          `${field}: minimumCount (${d.minimumCount}) must not be greater than maximumCount (${d.maximumCount})`,
        );
      }
      return { minimumCount: d.minimumCount, maximumCount: d.maximumCount };
    };
    const settings = input.settings as Record<string, string> | undefined;
    for (const [field, template] of Object.entries(settings ?? {})) {
      for (const match of String(template).matchAll(/\{Config:([^}]*)\}/g)) {
        const prop = props.find((p) => p.name === match[1]);
        if (!prop?.required || prop.secret) {
          throw invalid(
            `settings.${field} refers to {Config:${match[1]}}, which is not a required, non-secret configuration property`,
          );
        }
      }
    }
    const tags = input.tags as Array<{ key: string; value: string }> | undefined;
    if (tags !== undefined) {
      if (tags.length > SERVICE_QUOTAS.maxTags)
        throw new ServiceException(
          "TooManyTagsException",
          `At most ${SERVICE_QUOTAS.maxTags} tags are allowed`,
        );
      const keys = new Set<string>();
      for (const tag of tags) {
        if (tag.key.toLowerCase().startsWith("aws:"))
          throw new ServiceException(
            "InvalidTagsException",
            `Tag key ${tag.key} uses the reserved prefix aws:`,
          );
        if (keys.has(tag.key))
          throw new ServiceException("InvalidTagsException", `Tag key ${tag.key} is duplicated`);
        keys.add(tag.key);
      }
    }
    const actionType: StoredActionType = {
      id: { category, owner: "Custom", provider, version },
      ...(settings ? { settings: { ...settings } } : {}),
      actionConfigurationProperties: props.map((p) => ({ ...p })),
      inputArtifactDetails: details("inputArtifactDetails"),
      outputArtifactDetails: details("outputArtifactDetails"),
    };
    const key = keyOf(actionType.id);
    const echo =
      tags !== undefined ? { tags: tags.map((t) => ({ key: t.key, value: t.value })) } : {};
    const deleted = this.deletedActionTypes.get(key);
    if (deleted) {
      if (canonical(deleted) !== canonical(actionType)) {
        throw invalid(
          `Action type ${key} was deleted; to restore it, send the identical definition, or create it under a version never used before`,
        );
      }
      this.deletedActionTypes.delete(key);
      this.actionTypes.set(key, deleted);
      this.actionTypeTags.set(key, echo.tags ?? this.actionTypeTags.get(key) ?? []);
      this.#changed();
      return { actionType: structuredClone(deleted), ...echo };
    }
    const existing = this.actionTypes.get(key);
    if (existing) {
      if (canonical(existing) === canonical(actionType))
        return { actionType: structuredClone(existing), ...echo };
      throw invalid(`Action type ${key} already exists with a different definition`);
    }
    this.actionTypes.set(key, actionType);
    this.actionTypeTags.set(key, echo.tags ?? []);
    this.#changed();
    return { actionType: structuredClone(actionType), ...echo };
  }

  listActionTypes(input: Record<string, unknown>): {
    actionTypes: StoredActionType[];
    nextToken?: string;
  } {
    const filter = input.actionOwnerFilter;
    if (filter !== undefined && !["AWS", "ThirdParty", "Custom"].includes(String(filter))) {
      throw new ServiceException(
        "ValidationException",
        `Value '${String(filter)}' at 'actionOwnerFilter' failed to satisfy constraint`,
      );
    }
    const all = filter === undefined || filter === "Custom" ? [...this.actionTypes.values()] : [];
    const start = input.nextToken === undefined ? 0 : Number.parseInt(String(input.nextToken), 36);
    if (!Number.isInteger(start) || start < 0 || start > all.length) {
      throw new ServiceException(
        "InvalidNextTokenException",
        "The next token was specified in an invalid format",
      );
    }
    const pageSize = 20;
    const page = all.slice(start, start + pageSize);
    return {
      actionTypes: page,
      ...(start + pageSize < all.length ? { nextToken: (start + pageSize).toString(36) } : {}),
    };
  }

  deleteCustomActionType(input: Record<string, unknown>): Record<string, never> {
    const key = keyOf({ ...input, owner: "Custom" });
    const existing = this.actionTypes.get(key);
    // The model declares no ActionTypeNotFoundException for DeleteCustomActionType.
    if (!existing) throw invalid(`Custom action type ${key} does not exist`);
    this.actionTypes.delete(key);
    this.deletedActionTypes.set(key, existing);
    this.#changed();
    return {};
  }

  /** Issues fresh artifact credentials for a job. */
  issueCredentials(job: EmulatedJob): {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  } {
    const creds: IssuedCredentials = {
      accessKeyId: `ASIA${this.#id(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
      secretAccessKey: this.#id(
        40,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
      ),
      sessionToken: `IQoJb3JpZ2luX2Vj${this.#id(120, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}`,
      expiresAt: this.options.now() + this.options.credentialsTtlMs,
      jobId: job.id,
      bucket: this.options.bucket,
    };
    this.credentials.set(creds.accessKeyId, creds);
    return {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
    };
  }

  #wireJobData(job: EmulatedJob) {
    return { ...job.data, artifactCredentials: this.issueCredentials(job) };
  }

  pollForJobs(input: Record<string, unknown>) {
    this.sweep();
    const id = input.actionTypeId as ActionTypeIdWire;
    if (id.owner !== "Custom") {
      throw new ServiceException(
        "ValidationException",
        "PollForJobs is only available for actions owned by Custom",
      );
    }
    const key = keyOf(id);
    if (!this.actionTypes.has(key))
      throw new ServiceException(
        "ActionTypeNotFoundException",
        `Action type ${key} does not exist`,
      );
    const max = (input.maxBatchSize as number | undefined) ?? 1;
    const query = (input.queryParam ?? {}) as Record<string, string>;
    const actionType = this.actionTypes.get(key) as StoredActionType;
    for (const name of Object.keys(query)) {
      if (!actionType.actionConfigurationProperties.some((p) => p.name === name && p.queryable)) {
        throw new ServiceException(
          "ValidationException",
          `Query parameter ${name} is not a queryable property of ${key}`,
        );
      }
    }
    // API Reference: for an action type with a queryable property the poll must name it.
    const queryableProp = actionType.actionConfigurationProperties.find((p) => p.queryable);
    if (queryableProp && query[queryableProp.name] === undefined) {
      throw new ServiceException(
        "ValidationException",
        `Action type ${key} has queryable property ${queryableProp.name}; PollForJobs must supply it in queryParam`,
      );
    }
    const jobs = [];
    for (const job of this.jobs.values()) {
      if (jobs.length >= max) break;
      if (job.status !== "Queued" || keyOf(job.data.actionTypeId) !== key) continue;
      if (
        !Object.entries(query).every(
          ([k, v]) => job.data.actionConfiguration.configuration[k] === v,
        )
      )
        continue;
      job.status = "Dispatched";
      job.nonce = this.uuid();
      job.dispatchedAt = this.options.now();
      job.deliveries++;
      jobs.push({
        id: job.id,
        data: this.#wireJobData(job),
        nonce: job.nonce,
        accountId: job.accountId,
      });
    }
    if (jobs.length > 0) this.#changed();
    return { jobs };
  }

  #job(input: Record<string, unknown>): EmulatedJob {
    const jobId = input.jobId as string;
    const job = this.jobs.get(jobId);
    if (!job)
      throw new ServiceException(
        "JobNotFoundException",
        `The job ${jobId} was specified in an invalid format or cannot be found`,
      );
    return job;
  }

  acknowledgeJob(input: Record<string, unknown>): { status: string } {
    this.sweep();
    const job = this.#job(input);
    const nonce = input.nonce as string;
    if (job.nonce === undefined || job.nonce !== nonce) {
      throw new ServiceException(
        "InvalidNonceException",
        "The nonce was specified in an invalid format",
      );
    }
    if (job.status === "Dispatched") {
      job.status = "InProgress";
      job.acknowledgedAt = this.options.now();
      this.#changed();
    }
    return { status: job.status };
  }

  getJobDetails(input: Record<string, unknown>) {
    this.sweep();
    const job = this.#job(input);
    return { jobDetails: { id: job.id, data: this.#wireJobData(job), accountId: job.accountId } };
  }

  #inProgress(job: EmulatedJob) {
    if (job.status !== "InProgress") {
      throw new ServiceException(
        "InvalidJobStateException",
        `The job ${job.id} is in state ${job.status}; a result can only be reported for a job in progress`,
      );
    }
  }

  putJobSuccessResult(input: Record<string, unknown>): Record<string, never> {
    this.sweep();
    const job = this.#job(input);
    this.#inProgress(job);
    const details = input.executionDetails as EmulatedExecution["executionDetails"] | undefined;
    const revision = input.currentRevision as Record<string, unknown> | undefined;
    if (revision?.created !== undefined) {
      // AWS JSON 1.1 sends timestamps as epoch seconds.
      input.currentRevision = {
        ...revision,
        created: new Date((revision.created as number) * 1000),
      };
    }
    const token = input.continuationToken as string | undefined;
    const variables = input.outputVariables as Record<string, string> | undefined;
    if (token !== undefined && variables !== undefined) {
      throw new ServiceException(
        "ValidationException",
        "outputVariables can be included only when there is no continuation token on the request",
      );
    }
    if (variables) {
      let bytes = 0;
      for (const [k, v] of Object.entries(variables))
        bytes += Buffer.byteLength(k) + Buffer.byteLength(String(v));
      if (bytes > SERVICE_QUOTAS.outputVariablesBytes) {
        throw new ServiceException(
          "OutputVariablesSizeExceededException",
          "Exceeded the total size limit for all variables in the pipeline",
        );
      }
    }
    job.status = "Succeeded";
    job.finishedAt = this.options.now();
    const { jobId: _jobId, ...rest } = input;
    job.success = rest;
    const execution = this.executions.get(job.actionExecutionId) as EmulatedExecution;
    if (details) execution.executionDetails = details;
    if (token !== undefined) {
      // The action stays in progress: CodePipeline creates a new job carrying the token.
      const next = this.#newJob(job.data, job.actionExecutionId, job.accountId);
      next.data = { ...next.data, continuationToken: token };
    } else {
      this.#finishExecution(job, "Succeeded", {
        ...(variables ? { outputVariables: variables } : {}),
        ...(input.currentRevision
          ? { currentRevision: input.currentRevision as Record<string, unknown> }
          : {}),
      });
    }
    this.#changed();
    return {};
  }

  putJobFailureResult(input: Record<string, unknown>): Record<string, never> {
    this.sweep();
    const job = this.#job(input);
    const failure = input.failureDetails as NonNullable<EmulatedJob["failureDetails"]>;
    this.#inProgress(job);
    job.status = "Failed";
    job.finishedAt = this.options.now();
    job.failureDetails = failure;
    this.#finishExecution(job, "Failed", { failureDetails: failure });
    this.#changed();
    return {};
  }

  #finishExecution(
    job: EmulatedJob,
    status: "Succeeded" | "Failed",
    extra: Partial<EmulatedExecution>,
  ) {
    const execution = this.executions.get(job.actionExecutionId);
    if (execution?.status !== "InProgress") return;
    Object.assign(execution, extra, { status });
  }

  #newJob(data: EmulatedJob["data"], actionExecutionId: string, accountId: string): EmulatedJob {
    const job: EmulatedJob = {
      id: this.uuid(),
      accountId,
      actionExecutionId,
      status: "Queued",
      nonce: undefined,
      deliveries: 0,
      createdAt: this.options.now(),
      dispatchedAt: undefined,
      acknowledgedAt: undefined,
      finishedAt: undefined,
      data: structuredClone(data),
    };
    delete job.data.continuationToken;
    this.jobs.set(job.id, job);
    this.executions.get(actionExecutionId)?.jobIds.push(job.id);
    return job;
  }

  /** Queues the first job of a new action execution. */
  enqueue(data: EmulatedJob["data"]): { jobId: string; actionExecutionId: string } {
    const actionExecutionId = this.uuid();
    const execution: EmulatedExecution = {
      actionExecutionId,
      status: "InProgress",
      jobIds: [],
      outputArtifacts: data.outputArtifacts,
    };
    this.executions.set(actionExecutionId, execution);
    const withId = {
      ...data,
      pipelineContext: {
        ...data.pipelineContext,
        action: { ...(data.pipelineContext.action as object), actionExecutionId },
      },
    };
    const job = this.#newJob(withId, actionExecutionId, this.options.accountId);
    this.#changed();
    return { jobId: job.id, actionExecutionId };
  }
}

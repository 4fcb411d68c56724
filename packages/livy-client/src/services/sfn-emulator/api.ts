// The Step Functions operations the emulator serves, with the request validation and error
// names of the AWS Step Functions API Reference. Pure bookkeeping; executions run in
// execution.ts.
import { randomUUID } from "node:crypto";
import { type AslValidationResult, validateStateMachine } from "../../pipeline/validate.js";
import {
  type ExecutionRecord,
  loadEngine,
  type RunSettings,
  type SfnExecutionStatus,
  type SfnHistoryEvent,
  startExecution,
} from "./execution.js";
import { nameProblem, SFN_LIMITS, utf8Bytes } from "./limits.js";

/** An error the service answers with HTTP 400 and `{ __type, message }`. */
export class SfnServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** A stored state machine. */
export interface StoredStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: "STANDARD";
  creationDate: number;
  updateDate?: number;
  revisionId: string;
}

type Request = Record<string, unknown>;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXECUTION_STATUSES = [
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
];

function validation(message: string): SfnServiceError {
  return new SfnServiceError("ValidationException", `1 validation error detected: ${message}`);
}

function str(request: Request, member: string, required: true): string;
function str(request: Request, member: string, required?: false): string | undefined;
function str(request: Request, member: string, required = false): string | undefined {
  const value = request[member];
  if (value === undefined || value === null) {
    if (required)
      throw validation(
        `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    return undefined;
  }
  if (typeof value !== "string") {
    throw new SfnServiceError("SerializationException", `Member '${member}' must be a string`);
  }
  return value;
}

function maxResults(request: Request): number {
  const value = request.maxResults;
  if (value === undefined) return SFN_LIMITS.defaultMaxResults;
  if (
    !Number.isInteger(value) ||
    (value as number) < 0 ||
    (value as number) > SFN_LIMITS.maxResults
  ) {
    throw validation(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${SFN_LIMITS.maxResults}`,
    );
  }
  return value === 0 ? SFN_LIMITS.defaultMaxResults : (value as number);
}

/** Opaque page tokens bound to the listing they came from. */
function pageStart(request: Request, scope: string): number {
  const token = str(request, "nextToken");
  if (token === undefined) return 0;
  if (token.length < 1 || token.length > SFN_LIMITS.nextTokenMaxLength)
    throw new SfnServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      s: string;
      o: number;
    };
    if (parsed.s === scope && Number.isInteger(parsed.o) && parsed.o > 0) return parsed.o;
  } catch {}
  throw new SfnServiceError("InvalidToken", `Invalid Token: '${token.slice(0, 64)}'`);
}

function page<T>(items: T[], request: Request, scope: string): { items: T[]; nextToken?: string } {
  const start = pageStart(request, scope);
  const size = maxResults(request);
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? start + size : undefined;
  return {
    items: slice,
    ...(next === undefined
      ? {}
      : { nextToken: Buffer.from(JSON.stringify({ s: scope, o: next })).toString("base64url") }),
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** The state of one emulated account and region. */
export class SfnStore {
  readonly stateMachines = new Map<string, StoredStateMachine>();
  readonly executions = new Map<string, ExecutionRecord>();

  constructor(
    readonly accountId: string,
    readonly settings: RunSettings,
  ) {}

  private arnPrefix(kind: string): string {
    return `arn:aws:states:${this.settings.region}:${this.accountId}:${kind}:`;
  }

  private parseArn(value: string, kind: "stateMachine" | "execution"): string[] {
    const parts = value.split(":");
    const ok =
      parts.length === (kind === "stateMachine" ? 7 : 8) &&
      parts[0] === "arn" &&
      /^aws[a-z-]*$/.test(parts[1]!) &&
      parts[2] === "states" &&
      /^\d{12}$/.test(parts[4]!) &&
      parts[5] === kind &&
      parts.slice(6).every((p) => p.length > 0);
    if (!ok)
      throw new SfnServiceError(
        "InvalidArn",
        `Invalid Arn: 'Resource type not valid in this context: ${value}'`,
      );
    return parts;
  }

  private machine(arn: string): StoredStateMachine {
    this.parseArn(arn, "stateMachine");
    const found = this.stateMachines.get(arn);
    if (!found)
      throw new SfnServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${arn}'`,
      );
    return found;
  }

  private execution(arn: string): ExecutionRecord {
    this.parseArn(arn, "execution");
    const found = this.executions.get(arn);
    if (!found)
      throw new SfnServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return found;
  }

  private checkDefinition(definition: string): void {
    if (definition.length < 1 || definition.length > SFN_LIMITS.definitionMaxLength) {
      throw validation(
        `Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to ${SFN_LIMITS.definitionMaxLength}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(definition);
    } catch (error) {
      throw new SfnServiceError(
        "InvalidDefinition",
        `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(error as Error).message}'`,
      );
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SfnServiceError(
        "InvalidDefinition",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the definition must be a JSON object'",
      );
    }
    let result: AslValidationResult;
    try {
      // asl-validator 4.0.0's rules, with its schemas compiled once per process.
      result = validateStateMachine(parsed, { checkArn: true, checkPaths: true });
    } catch (error) {
      throw new SfnServiceError(
        "InvalidDefinition",
        `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${(error as Error).message}'`,
      );
    }
    if (!result.isValid) {
      throw new SfnServiceError(
        "InvalidDefinition",
        `Invalid State Machine Definition: '${result.errorsText("; ")}'`,
      );
    }
  }

  private checkRole(roleArn: string): void {
    if (roleArn.length > SFN_LIMITS.roleArnMaxLength || !ROLE_ARN.test(roleArn)) {
      throw new SfnServiceError(
        "InvalidArn",
        `Invalid Arn: 'Invalid role ARN: ${roleArn.slice(0, 300)}'`,
      );
    }
  }

  CreateStateMachine(request: Request) {
    const name = str(request, "name", true);
    const definition = str(request, "definition", true);
    const roleArn = str(request, "roleArn", true);
    const type = str(request, "type") ?? "STANDARD";
    if (type !== "STANDARD" && type !== "EXPRESS") {
      throw validation(
        `Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
      );
    }
    if (type === "EXPRESS") {
      throw new SfnServiceError(
        "StateMachineTypeNotSupported",
        "The emulator runs STANDARD state machines only",
      );
    }
    if (request.publish === true)
      throw validation("the emulator does not publish state machine versions ('publish')");
    const problem = nameProblem(name);
    if (problem) throw new SfnServiceError("InvalidName", `Invalid Name: '${name}' (${problem})`);
    this.checkDefinition(definition);
    this.checkRole(roleArn);
    const arn = this.arnPrefix("stateMachine") + name;
    const existing = this.stateMachines.get(arn);
    if (existing) {
      // CreateStateMachine is idempotent for the same name, definition, type and role.
      if (existing.definition === definition && existing.roleArn === roleArn) {
        return { stateMachineArn: arn, creationDate: seconds(existing.creationDate) };
      }
      throw new SfnServiceError(
        "StateMachineAlreadyExists",
        `State Machine Already Exists: '${arn}'`,
      );
    }
    const stored: StoredStateMachine = {
      stateMachineArn: arn,
      name,
      definition,
      roleArn,
      type: "STANDARD",
      creationDate: this.settings.now(),
      revisionId: randomUUID(),
    };
    this.stateMachines.set(arn, stored);
    return { stateMachineArn: arn, creationDate: seconds(stored.creationDate) };
  }

  UpdateStateMachine(request: Request) {
    const arn = str(request, "stateMachineArn", true);
    const definition = str(request, "definition");
    const roleArn = str(request, "roleArn");
    if (
      definition === undefined &&
      roleArn === undefined &&
      request.loggingConfiguration === undefined &&
      request.tracingConfiguration === undefined
    ) {
      throw new SfnServiceError(
        "MissingRequiredParameter",
        "Request is missing a required parameter. Provide a definition, roleArn, loggingConfiguration or tracingConfiguration.",
      );
    }
    if (request.publish === true)
      throw validation("the emulator does not publish state machine versions ('publish')");
    const stored = this.machine(arn);
    if (definition !== undefined) this.checkDefinition(definition);
    if (roleArn !== undefined) this.checkRole(roleArn);
    // Running executions keep the definition they started with.
    if (definition !== undefined) stored.definition = definition;
    if (roleArn !== undefined) stored.roleArn = roleArn;
    stored.updateDate = this.settings.now();
    stored.revisionId = randomUUID();
    return { updateDate: seconds(stored.updateDate), revisionId: stored.revisionId };
  }

  DescribeStateMachine(request: Request) {
    const stored = this.machine(str(request, "stateMachineArn", true));
    return {
      stateMachineArn: stored.stateMachineArn,
      name: stored.name,
      status: "ACTIVE",
      definition: stored.definition,
      roleArn: stored.roleArn,
      type: stored.type,
      creationDate: seconds(stored.creationDate),
      loggingConfiguration: { level: "OFF", includeExecutionData: false },
      tracingConfiguration: { enabled: false },
      revisionId: stored.revisionId,
    };
  }

  ListStateMachines(request: Request) {
    const all = [...this.stateMachines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextToken } = page(all, request, "stateMachines");
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.stateMachineArn,
        name: m.name,
        type: m.type,
        creationDate: seconds(m.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async StartExecution(request: Request) {
    const arn = str(request, "stateMachineArn", true);
    const name = str(request, "name") ?? randomUUID();
    const input = str(request, "input") ?? "{}";
    const stored = this.machine(arn);
    const problem = nameProblem(name);
    if (problem) throw new SfnServiceError("InvalidName", `Invalid Name: '${name}' (${problem})`);
    // Loaded before the name check, so the check and the start happen without a pause between
    // them and two concurrent starts of one name cannot both run.
    const engine = await loadEngine();
    if (utf8Bytes(input) > SFN_LIMITS.payloadMaxBytes) {
      throw new SfnServiceError(
        "InvalidExecutionInput",
        `Invalid Execution Input: the input is ${utf8Bytes(input)} bytes; the maximum is ${SFN_LIMITS.payloadMaxBytes} bytes (256 KiB, UTF-8)`,
      );
    }
    try {
      JSON.parse(input);
    } catch (error) {
      throw new SfnServiceError(
        "InvalidExecutionInput",
        `Invalid Execution Input: '${(error as Error).message}'`,
      );
    }
    const executionArn = `${this.arnPrefix("execution")}${stored.name}:${name}`;
    const now = this.settings.now();
    const previous = this.executions.get(executionArn);
    if (previous && now - previous.startDate < SFN_LIMITS.executionNameReuseMs) {
      // The same name and input while the first execution is open is the same request.
      if (previous.status === "RUNNING" && previous.input === input) {
        return { executionArn, startDate: seconds(previous.startDate) };
      }
      throw new SfnServiceError(
        "ExecutionAlreadyExists",
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const record = {
      executionArn,
      stateMachineArn: arn,
      name,
      startDate: now,
      input,
    };
    const execution = startExecution(
      engine,
      JSON.parse(stored.definition) as Record<string, unknown>,
      record,
      stored.roleArn,
      stored.name,
      this.settings,
    );
    this.executions.set(executionArn, execution);
    return { executionArn, startDate: seconds(now) };
  }

  DescribeExecution(request: Request) {
    const e = this.execution(str(request, "executionArn", true));
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      ...(e.stopDate === undefined ? {} : { stopDate: seconds(e.stopDate) }),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output === undefined ? {} : { output: e.output, outputDetails: { included: true } }),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
    };
  }

  GetExecutionHistory(request: Request) {
    const arn = str(request, "executionArn", true);
    const e = this.execution(arn);
    const includeData = request.includeExecutionData !== false;
    const events = request.reverseOrder === true ? [...e.history].reverse() : e.history;
    const { items, nextToken } = page(
      events,
      request,
      `history:${arn}:${request.reverseOrder === true}`,
    );
    return {
      events: items.map((event) => wireEvent(event, includeData)),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  StopExecution(request: Request) {
    const arn = str(request, "executionArn", true);
    const error = str(request, "error") ?? "";
    const cause = str(request, "cause") ?? "";
    if (error.length > SFN_LIMITS.stopErrorMaxLength) {
      throw validation(
        `Value at 'error' failed to satisfy constraint: Member must have length less than or equal to ${SFN_LIMITS.stopErrorMaxLength}`,
      );
    }
    if (cause.length > SFN_LIMITS.stopCauseMaxLength) {
      throw validation(
        `Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to ${SFN_LIMITS.stopCauseMaxLength}`,
      );
    }
    const e = this.execution(arn);
    e.stop(error, cause);
    return { stopDate: seconds(e.stopDate ?? this.settings.now()) };
  }

  ListExecutions(request: Request) {
    const arn = str(request, "stateMachineArn");
    if (arn === undefined) {
      throw validation(
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null (the emulator has no Map Runs)",
      );
    }
    const filter = str(request, "statusFilter");
    if (filter !== undefined && !EXECUTION_STATUSES.includes(filter)) {
      throw validation(
        `Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${EXECUTION_STATUSES.join(", ")}]`,
      );
    }
    this.machine(arn);
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === arn && (filter === undefined || e.status === filter))
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = page(all, request, `executions:${arn}:${filter ?? ""}`);
    return {
      executions: items.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status as SfnExecutionStatus,
        startDate: seconds(e.startDate),
        ...(e.stopDate === undefined ? {} : { stopDate: seconds(e.stopDate) }),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }
}

/** A history event on the wire: epoch seconds, and without payloads unless asked for. */
function wireEvent(event: SfnHistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event, timestamp: event.timestamp / 1000 };
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith("EventDetails") && value && typeof value === "object") {
        const { input: _i, output: _o, parameters: _p, ...rest } = value as Record<string, unknown>;
        out[key] = rest;
      }
    }
  }
  return out;
}

/** Operation names the emulator serves (`X-Amz-Target: AWSStepFunctions.<name>`). */
export const SFN_OPERATIONS = [
  "CreateStateMachine",
  "UpdateStateMachine",
  "DescribeStateMachine",
  "ListStateMachines",
  "StartExecution",
  "DescribeExecution",
  "GetExecutionHistory",
  "StopExecution",
  "ListExecutions",
] as const;

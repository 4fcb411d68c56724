// The limits and name rules the emulator enforces, taken from the AWS Step Functions API
// Reference (request members' "Length Constraints" and "Pattern") and the Step Functions
// Developer Guide's "Step Functions service quotas" page — never from a client.

/** The service's limits, as the AWS documentation states them. */
export const SFN_LIMITS = {
  /** `name` of CreateStateMachine and StartExecution: 1–80 characters. */
  nameMaxLength: 80,
  /** `definition`: 1–1,048,576 characters (API Reference, CreateStateMachine). */
  definitionMaxLength: 1_048_576,
  /** `roleArn`: 1–256 characters. */
  roleArnMaxLength: 256,
  /**
   * Input or output of an execution, state or task: 256 KiB as a UTF-8 string (quotas page,
   * "Maximum input or output size for a task, state, or execution": 262,144 bytes).
   */
  payloadMaxBytes: 262_144,
  /** Execution history: 25,000 events; an execution that reaches it fails (quotas page). */
  historyMaxEvents: 25_000,
  /** An execution name cannot be reused on the same state machine for 90 days. */
  executionNameReuseMs: 90 * 24 * 60 * 60 * 1000,
  /** `maxResults` of the list and history operations: 0–1000; 0 means the default, 100. */
  maxResults: 1000,
  defaultMaxResults: 100,
  /** StopExecution `error`: 0–256 characters; `cause`: 0–32,768. */
  stopErrorMaxLength: 256,
  stopCauseMaxLength: 32_768,
  /** `nextToken`: 1–1024 characters. */
  nextTokenMaxLength: 1024,
} as const;

/**
 * State machine and execution names (API Reference): 1–80 characters, none of them white space,
 * brackets `< > { } [ ]`, wildcards `? *`, the special characters `" # % \ ^ | ~ \` $ & , ; : /`,
 * or control characters (U+0000–001F, U+007F–009F).
 */
export function nameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > SFN_LIMITS.nameMaxLength) {
    return `must be 1 to ${SFN_LIMITS.nameMaxLength} characters long (got ${name.length})`;
  }
  const bad = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u.exec(name);
  return bad ? `must not contain ${JSON.stringify(bad[0])}` : undefined;
}

/** The UTF-8 size of a string, the unit of the payload quotas. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

import {
  type ActionType,
  type CodePipelineClient,
  CreateCustomActionTypeCommand,
  paginateListActionTypes,
} from "@aws-sdk/client-codepipeline";
import { ACTION_TYPE_LIMITS, type ActionDefinition } from "./core/action.js";
import { diffActionType, toCreateCustomActionTypeBody } from "./core/action-type.js";
import { CodepipelineWorkerError } from "./errors.js";

/** Options of {@link registerActionType}. */
export interface RegisterActionTypeOptions {
  /** A CodePipeline client for the account and region to register in. */
  client: CodePipelineClient;
  /** Tags for a newly created action type (keys 1–128 characters, values up to 256, at most 50). @defaultValue none */
  tags?: Record<string, string>;
  /** Cancels the registration. @defaultValue none */
  signal?: AbortSignal;
}

/** What {@link registerActionType} did. */
export interface RegisterActionTypeResult {
  /** `created` when it was new, `unchanged` when the same definition was already registered. */
  status: "created" | "unchanged";
  /** The action type as CodePipeline holds it. */
  actionType: ActionType;
}

const idText = (a: ActionDefinition<unknown>) =>
  `${a.actionTypeId.category}/Custom/${a.actionTypeId.provider}/${a.actionTypeId.version}`;

async function findRegistered(
  action: ActionDefinition<unknown>,
  client: CodePipelineClient,
  signal: AbortSignal | undefined,
): Promise<ActionType | undefined> {
  const { category, provider, version } = action.actionTypeId;
  for await (const page of paginateListActionTypes({ client }, { actionOwnerFilter: "Custom" })) {
    signal?.throwIfAborted();
    const found = page.actionTypes?.find(
      (t) => t.id?.category === category && t.id.provider === provider && t.id.version === version,
    );
    if (found) return found;
  }
  return undefined;
}

function conflict(
  action: ActionDefinition<unknown>,
  differences: string[],
): CodepipelineWorkerError {
  return new CodepipelineWorkerError(
    "ACTION_TYPE_CONFLICT",
    `Action type ${idText(action)} is already registered with a different definition:\n  - ${differences.join("\n  - ")}\nCodePipeline action types are immutable: bump actionTypeId.version (e.g. to "${String(Number(action.actionTypeId.version) + 1 || `${action.actionTypeId.version}-2`)}") and register again.`,
    { differences },
  );
}

/**
 * Registers `action` as a custom action type, idempotently: nothing happens when the same
 * definition is already registered; when a different one is, it throws `ACTION_TYPE_CONFLICT`
 * listing every difference (action types are immutable, so the fix is a new version).
 */
export async function registerActionType(
  action: ActionDefinition<unknown>,
  options: RegisterActionTypeOptions,
): Promise<RegisterActionTypeResult> {
  const { client, signal } = options;
  const tagProblems = checkTags(options.tags);
  if (tagProblems.length > 0) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `Tags for ${idText(action)} break CodePipeline's rules: ${tagProblems.join("; ")}`,
    );
  }
  let existing: ActionType | undefined;
  try {
    existing = await findRegistered(action, client, signal);
  } catch (error) {
    throw serviceError(`listing custom action types to register ${idText(action)}`, error);
  }
  if (existing) {
    const differences = diffActionType(existing, action);
    if (differences.length > 0) throw conflict(action, differences);
    return { status: "unchanged", actionType: existing };
  }
  const body = toCreateCustomActionTypeBody(action);
  try {
    const out = await client.send(
      new CreateCustomActionTypeCommand({
        ...body,
        category: action.actionTypeId.category,
        ...(options.tags
          ? { tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })) }
          : {}),
      }),
      { abortSignal: signal },
    );
    return {
      status: "created",
      actionType: out.actionType ?? ({ id: { ...action.actionTypeId }, ...body } as ActionType),
    };
  } catch (error) {
    // Another process may have registered it between our list and create: compare again.
    const raced = await findRegistered(action, client, signal).catch(() => undefined);
    if (raced) {
      const differences = diffActionType(raced, action);
      if (differences.length > 0) throw conflict(action, differences);
      return { status: "unchanged", actionType: raced };
    }
    const wrapped = serviceError(`creating custom action type ${idText(action)}`, error);
    if ((error as Error).name === "ValidationException") {
      // Not listed, yet refused: most likely a deleted id, which takes back only the identical definition.
      wrapped.message += ` If ${idText(action)} was deleted, CodePipeline restores it only from the identical definition it had; otherwise bump actionTypeId.version.`;
    }
    throw wrapped;
  }
}

/** CodePipeline's tag rules (model: key 1–128, value 0–256; at most 50; `aws:` reserved). */
function checkTags(tags: Record<string, string> | undefined): string[] {
  if (!tags) return [];
  const problems: string[] = [];
  const entries = Object.entries(tags);
  if (entries.length > ACTION_TYPE_LIMITS.maxTags)
    problems.push(`at most ${ACTION_TYPE_LIMITS.maxTags} tags (got ${entries.length})`);
  for (const [key, value] of entries) {
    const k = [...key].length;
    if (k < 1 || k > ACTION_TYPE_LIMITS.tagKeyLength)
      problems.push(
        `tag key ${JSON.stringify(key)} must be 1–${ACTION_TYPE_LIMITS.tagKeyLength} characters`,
      );
    if (key.toLowerCase().startsWith("aws:"))
      problems.push(`tag key ${JSON.stringify(key)} uses the reserved prefix aws:`);
    if ([...value].length > ACTION_TYPE_LIMITS.tagValueLength)
      problems.push(
        `tag ${key}'s value is longer than ${ACTION_TYPE_LIMITS.tagValueLength} characters`,
      );
  }
  return problems;
}

/** Wraps an AWS SDK error as `SERVICE_ERROR`, keeping its name. */
export function serviceError(doing: string, error: unknown): CodepipelineWorkerError {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return new CodepipelineWorkerError(
    "SERVICE_ERROR",
    `The CodePipeline call for ${doing} failed: ${name}: ${message}`,
    {
      cause: error,
      awsErrorName: name,
    },
  );
}

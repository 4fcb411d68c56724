import { CodepipelineWorkerError } from "../errors.js";
import type { JobContext } from "./context.js";

/** The action categories CodePipeline accepts for custom actions. */
export type ActionCategory = "Source" | "Build" | "Deploy" | "Test" | "Invoke" | "Approval";

/** The value types of a configuration property. */
export type ConfigurationPropertyType = "String" | "Number" | "Boolean";

/** One configuration property of a custom action (CodePipeline `ActionConfigurationProperty`). */
export interface ConfigurationProperty {
  /** 1–50 characters, unique within the action. */
  readonly name: string;
  /** Whether the pipeline must set it. */
  readonly required: boolean;
  /** Whether it identifies the action (part of its key). */
  readonly key: boolean;
  /** Whether it is hidden from pipeline readers; the worker's logger redacts its value. */
  readonly secret: boolean;
  /** Whether workers may select jobs by it (`queryParam`); at most one per action, required and not secret. */
  readonly queryable?: boolean;
  /** Up to 160 characters, shown in the console. */
  readonly description?: string;
  /** @defaultValue `"String"` */
  readonly type?: ConfigurationPropertyType;
}

/** URLs shown in the CodePipeline console for the action. */
export interface ActionSettings {
  readonly thirdPartyConfigurationUrl?: string;
  /** Link to the entity the action acts on; may use `{Config:name}`. */
  readonly entityUrlTemplate?: string;
  /** Link to one run; may use `{ExternalExecutionId}` and `{Config:name}`. */
  readonly executionUrlTemplate?: string;
  readonly revisionUrlTemplate?: string;
}

/** How many artifacts an action takes or produces (0–5 each). */
export interface ArtifactCount {
  readonly min: number;
  readonly max: number;
}

/** The id of an action type; the owner of a custom action is always `Custom`. */
export interface ActionTypeId {
  readonly category: ActionCategory;
  readonly provider: string;
  readonly version: string;
}

/** The value type a handler receives for one property: `number`, `boolean` or `string`. */
export type ConfigurationValueOf<P extends ConfigurationProperty> = P extends {
  readonly type: "Number";
}
  ? number
  : P extends { readonly type: "Boolean" }
    ? boolean
    : string;

/**
 * The configuration a handler receives, inferred from the declared properties: required
 * properties are always present, optional ones may be `undefined`; `Number` and `Boolean`
 * properties arrive parsed.
 */
export type ConfigurationOf<Props extends readonly ConfigurationProperty[]> = {
  [P in Props[number] as P["name"]]: P extends { readonly required: true }
    ? ConfigurationValueOf<P>
    : ConfigurationValueOf<P> | undefined;
};

/** What a handler may return; every field is optional. */
export interface HandlerResult {
  /** Shown in the console; cut to 2048 characters. */
  summary?: string;
  /** Id of the run in the external system (used by `executionUrlTemplate`). */
  externalExecutionId?: string;
  /** Variables later actions can read as `#{namespace.name}`. Not allowed with `continuationToken`. */
  outputVariables?: Record<string, string>;
  /** The revision the action worked on, reported as `currentRevision`. */
  currentRevision?: {
    revision: string;
    changeIdentifier: string;
    /** When the revision was created (sent as epoch seconds). */
    created?: Date;
    revisionSummary?: string;
  };
  /**
   * Long work: report progress and ask CodePipeline to hand the job back later with this token
   * in `ctx.continuationToken` (at most 2048 characters).
   */
  continuationToken?: string;
  /** With `continuationToken`: how far the work has come (0–100). */
  percentComplete?: number;
}

/** The function that does the action's work for one job. */
export type ActionHandler<Config> = (
  ctx: JobContext<Config>,
) => Promise<HandlerResult | undefined> | HandlerResult | undefined;

/** The input of {@link defineAction}. */
export interface ActionDefinitionInput<Props extends readonly ConfigurationProperty[]> {
  readonly actionTypeId: ActionTypeId;
  readonly settings?: ActionSettings;
  readonly configurationProperties?: Props;
  readonly inputArtifacts: ArtifactCount;
  readonly outputArtifacts: ArtifactCount;
  readonly handler: ActionHandler<ConfigurationOf<Props>>;
}

/** A validated custom action, ready for {@link registerActionType} and {@link createWorker}. */
export interface ActionDefinition<Config = Record<string, unknown>> {
  readonly actionTypeId: ActionTypeId & { readonly owner: "Custom" };
  readonly settings: ActionSettings;
  readonly configurationProperties: readonly ConfigurationProperty[];
  readonly inputArtifacts: ArtifactCount;
  readonly outputArtifacts: ArtifactCount;
  /** Does the work of one job (method syntax so any definition is an `ActionDefinition<unknown>`). */
  handler(ctx: JobContext<Config>): ReturnType<ActionHandler<Config>>;
}

const CATEGORIES: readonly string[] = ["Source", "Build", "Deploy", "Test", "Invoke", "Approval"];
const ID_PATTERN = /^[0-9A-Za-z_-]+$/;
const TYPES: readonly string[] = ["String", "Number", "Boolean"];
/** CodePipeline's documented limits for custom action types. */
export const ACTION_TYPE_LIMITS = {
  maxConfigurationProperties: 10,
  maxQueryableProperties: 1,
  maxArtifacts: 5,
  providerLength: 35,
  versionLength: 9,
  propertyNameLength: 50,
  descriptionLength: 160,
  urlLength: 2048,
  maxTags: 50,
  tagKeyLength: 128,
  tagValueLength: 256,
} as const;

/** Returns every rule `input` breaks, one readable line each; empty when valid. */
export function validateActionDefinition(
  input: ActionDefinitionInput<readonly ConfigurationProperty[]>,
): string[] {
  const problems: string[] = [];
  const id = input.actionTypeId as Partial<ActionTypeId> | undefined;
  if (!id || typeof id !== "object") {
    return ["actionTypeId is required: { category, provider, version }"];
  }
  if (!CATEGORIES.includes(String(id.category))) {
    problems.push(
      `actionTypeId.category must be one of ${CATEGORIES.join(", ")} (got ${JSON.stringify(id.category)})`,
    );
  }
  for (const [field, max] of [
    ["provider", ACTION_TYPE_LIMITS.providerLength],
    ["version", ACTION_TYPE_LIMITS.versionLength],
  ] as const) {
    const value = id[field];
    if (
      typeof value !== "string" ||
      value.length < 1 ||
      value.length > max ||
      !ID_PATTERN.test(value)
    ) {
      problems.push(
        `actionTypeId.${field} must be 1–${max} characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(value)})`,
      );
    }
  }
  const props = input.configurationProperties ?? [];
  if (!Array.isArray(props)) {
    problems.push("configurationProperties must be an array");
  } else {
    if (props.length > ACTION_TYPE_LIMITS.maxConfigurationProperties) {
      problems.push(
        `an action may declare at most ${ACTION_TYPE_LIMITS.maxConfigurationProperties} configuration properties (got ${props.length})`,
      );
    }
    const queryable = props.filter((p) => p.queryable);
    if (queryable.length > ACTION_TYPE_LIMITS.maxQueryableProperties) {
      problems.push(
        `at most one configuration property may be queryable (got ${queryable.map((p) => p.name).join(", ")})`,
      );
    }
    const seen = new Set<string>();
    props.forEach((p, i) => {
      const where = `configurationProperties[${i}]`;
      if (
        typeof p.name !== "string" ||
        p.name.length < 1 ||
        p.name.length > ACTION_TYPE_LIMITS.propertyNameLength
      ) {
        problems.push(
          `${where}.name must be 1–${ACTION_TYPE_LIMITS.propertyNameLength} characters`,
        );
      } else if (seen.has(p.name)) {
        problems.push(`${where}.name "${p.name}" is declared twice`);
      } else {
        seen.add(p.name);
      }
      for (const flag of ["required", "key", "secret"] as const) {
        if (typeof p[flag] !== "boolean") problems.push(`${where}.${flag} must be true or false`);
      }
      if (p.queryable && (!p.required || p.secret)) {
        problems.push(`${where} "${p.name}" is queryable, so it must be required and not secret`);
      }
      if (
        p.description !== undefined &&
        p.description.length > ACTION_TYPE_LIMITS.descriptionLength
      ) {
        problems.push(
          `${where}.description is longer than ${ACTION_TYPE_LIMITS.descriptionLength} characters`,
        );
      }
      if (p.type !== undefined && !TYPES.includes(p.type)) {
        problems.push(
          `${where}.type must be one of ${TYPES.join(", ")} (got ${JSON.stringify(p.type)})`,
        );
      }
    });
    const settings = input.settings ?? {};
    for (const [field, value] of Object.entries(settings)) {
      if (value === undefined) continue;
      if (typeof value !== "string" || value.length > ACTION_TYPE_LIMITS.urlLength) {
        problems.push(
          `settings.${field} must be a string of at most ${ACTION_TYPE_LIMITS.urlLength} characters`,
        );
        continue;
      }
      for (const match of value.matchAll(/\{Config:([^}]*)\}/g)) {
        const prop = props.find((p) => p.name === match[1]);
        if (!prop)
          problems.push(`settings.${field} refers to {Config:${match[1]}}, which is not declared`);
        else if (!prop.required || prop.secret) {
          problems.push(
            `settings.${field} refers to {Config:${match[1]}}, which must be required and not secret`,
          );
        }
      }
    }
  }
  for (const side of ["inputArtifacts", "outputArtifacts"] as const) {
    const count = input[side] as Partial<ArtifactCount> | undefined;
    const { min, max } = count ?? {};
    const ok = (n: unknown) =>
      Number.isInteger(n) && (n as number) >= 0 && (n as number) <= ACTION_TYPE_LIMITS.maxArtifacts;
    if (!ok(min) || !ok(max)) {
      problems.push(
        `${side}.min and ${side}.max must be whole numbers from 0 to ${ACTION_TYPE_LIMITS.maxArtifacts} (got ${JSON.stringify(count)})`,
      );
    } else if ((min as number) > (max as number)) {
      problems.push(`${side}.min (${min}) is greater than ${side}.max (${max})`);
    }
  }
  if (typeof input.handler !== "function") problems.push("handler must be a function");
  return problems;
}

/**
 * Declares a custom action: its id, console settings, configuration properties, artifact counts
 * and the handler that does the work. The handler's `ctx.configuration` type is inferred from
 * the declared properties. Throws `INVALID_ACTION_DEFINITION` listing every broken rule.
 */
export function defineAction<const Props extends readonly ConfigurationProperty[] = readonly []>(
  input: ActionDefinitionInput<Props>,
): ActionDefinition<ConfigurationOf<Props>> {
  const problems = validateActionDefinition(input);
  if (problems.length > 0) {
    throw new CodepipelineWorkerError(
      "INVALID_ACTION_DEFINITION",
      `The action definition breaks ${problems.length} CodePipeline rule${problems.length > 1 ? "s" : ""}:\n  - ${problems.join("\n  - ")}`,
      { differences: problems },
    );
  }
  return Object.freeze({
    actionTypeId: Object.freeze({ ...input.actionTypeId, owner: "Custom" as const }),
    settings: Object.freeze({ ...(input.settings ?? {}) }),
    configurationProperties: Object.freeze(
      (input.configurationProperties ?? []).map((p) => Object.freeze({ ...p })),
    ),
    inputArtifacts: Object.freeze({ ...input.inputArtifacts }),
    outputArtifacts: Object.freeze({ ...input.outputArtifacts }),
    handler: input.handler,
  });
}

/** Whether `value` looks like the result of {@link defineAction}. */
export function isActionDefinition(value: unknown): value is ActionDefinition<unknown> {
  if (!value || typeof value !== "object") return false;
  const v = value as Partial<ActionDefinition<unknown>>;
  return typeof v.handler === "function" && v.actionTypeId?.owner === "Custom";
}

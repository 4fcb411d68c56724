import type {
  ActionCategory,
  ActionDefinition,
  ActionSettings,
  ConfigurationProperty,
  ConfigurationPropertyType,
} from "./action.js";

/** The `CreateCustomActionType` request body for an action. */
export interface CreateCustomActionTypeBody {
  category: ActionCategory;
  provider: string;
  version: string;
  settings?: ActionSettings;
  configurationProperties: Array<{
    name: string;
    required: boolean;
    key: boolean;
    secret: boolean;
    queryable: boolean;
    description?: string;
    type?: ConfigurationPropertyType;
  }>;
  inputArtifactDetails: { minimumCount: number; maximumCount: number };
  outputArtifactDetails: { minimumCount: number; maximumCount: number };
}

/** An action type as `ListActionTypes` / `CreateCustomActionType` return it. */
export interface RegisteredActionType {
  id?: { category?: string; owner?: string; provider?: string; version?: string };
  settings?: ActionSettings;
  actionConfigurationProperties?: Array<Partial<ConfigurationProperty> & { type?: string }>;
  inputArtifactDetails?: { minimumCount?: number; maximumCount?: number };
  outputArtifactDetails?: { minimumCount?: number; maximumCount?: number };
}

/** Builds the `CreateCustomActionType` body for `action`. */
export function toCreateCustomActionTypeBody(
  action: ActionDefinition<unknown>,
): CreateCustomActionTypeBody {
  const body: CreateCustomActionTypeBody = {
    category: action.actionTypeId.category,
    provider: action.actionTypeId.provider,
    version: action.actionTypeId.version,
    configurationProperties: action.configurationProperties.map((p) => ({
      name: p.name,
      required: p.required,
      key: p.key,
      secret: p.secret,
      queryable: p.queryable ?? false,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.type !== undefined ? { type: p.type } : {}),
    })),
    inputArtifactDetails: {
      minimumCount: action.inputArtifacts.min,
      maximumCount: action.inputArtifacts.max,
    },
    outputArtifactDetails: {
      minimumCount: action.outputArtifacts.min,
      maximumCount: action.outputArtifacts.max,
    },
  };
  const settings = Object.fromEntries(
    Object.entries(action.settings).filter(([, v]) => v !== undefined),
  );
  if (Object.keys(settings).length > 0) body.settings = settings;
  return body;
}

function show(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/**
 * Lists every field in which the registered action type differs from `action`, one line each
 * (`configurationProperties.Url.secret: registered false, defined true`). Empty means equal.
 * An unset `type` counts as `String`, an unset `queryable` as `false`.
 */
export function diffActionType(
  registered: RegisteredActionType,
  action: ActionDefinition<unknown>,
): string[] {
  const want = toCreateCustomActionTypeBody(action);
  const diffs: string[] = [];
  const cmp = (path: string, a: unknown, b: unknown) => {
    const na = a === "" ? undefined : a;
    const nb = b === "" ? undefined : b;
    if (na !== nb) diffs.push(`${path}: registered ${show(a)}, defined ${show(b)}`);
  };
  for (const field of [
    "thirdPartyConfigurationUrl",
    "entityUrlTemplate",
    "executionUrlTemplate",
    "revisionUrlTemplate",
  ] as const) {
    cmp(`settings.${field}`, registered.settings?.[field], want.settings?.[field]);
  }
  for (const side of ["inputArtifactDetails", "outputArtifactDetails"] as const) {
    cmp(`${side}.minimumCount`, registered[side]?.minimumCount, want[side].minimumCount);
    cmp(`${side}.maximumCount`, registered[side]?.maximumCount, want[side].maximumCount);
  }
  const have = registered.actionConfigurationProperties ?? [];
  const names = [
    ...new Set([
      ...have.map((p) => p.name ?? ""),
      ...want.configurationProperties.map((p) => p.name),
    ]),
  ];
  for (const name of names) {
    const a = have.find((p) => p.name === name);
    const b = want.configurationProperties.find((p) => p.name === name);
    if (!a) {
      diffs.push(`configurationProperties.${name}: not registered, defined`);
      continue;
    }
    if (!b) {
      diffs.push(`configurationProperties.${name}: registered, not defined`);
      continue;
    }
    for (const flag of ["required", "key", "secret", "queryable"] as const) {
      cmp(`configurationProperties.${name}.${flag}`, a[flag] ?? false, b[flag] ?? false);
    }
    cmp(`configurationProperties.${name}.description`, a.description, b.description);
    cmp(`configurationProperties.${name}.type`, a.type ?? "String", b.type ?? "String");
  }
  const order = (list: Array<{ name?: string }>) => list.map((p) => p.name).join(",");
  if (diffs.length === 0 && order(have) !== order(want.configurationProperties)) {
    diffs.push(
      `configurationProperties order: registered ${order(have)}, defined ${order(want.configurationProperties)}`,
    );
  }
  return diffs;
}

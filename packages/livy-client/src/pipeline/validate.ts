// Validates Amazon States Language definitions exactly as asl-validator 4.0.0 does, but compiles its
// JSON schemas once per process. asl-validator builds a new Ajv instance and compiles all of its
// schemas on every call (1–5 s), which makes "compile and validate a 50-job DAG under 50 ms"
// impossible. This module loads asl-validator's own files — its schemas, its ARN format, its
// checks (dist/src/checks/*.js) and the very ajv, ajv-formats, jsonata, asl-path-validator and
// jsonpath-plus modules it resolves — builds the Ajv instance the way json-schema-errors.ts does,
// keeps it (one per option combination), and runs the checks in validator.ts's order. The
// differential test (test/asl-validate.test.ts) compares every result with asl-validator's own.
import { createRequire } from "node:module";

/** Options of {@link validateStateMachine}, the same as asl-validator's. */
export interface AslValidationOptions {
  /**
   * Check JSONPath expressions (`InputPath`, `Parameters` keys ending in `.$`, …) with
   * asl-path-validator. As in asl-validator, an options object without it means `false`.
   * @defaultValue true (when no options object is given)
   */
  checkPaths?: boolean;
  /**
   * Check that `Resource` fields are ARNs. As in asl-validator, an options object without it
   * means `false`.
   * @defaultValue true (when no options object is given)
   */
  checkArn?: boolean;
}

/** One problem found in a definition, as asl-validator reports it. */
export interface AslValidationError {
  /** asl-validator's error code, e.g. `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`. */
  "Error code": string;
  /** What is wrong, e.g. `Missing 'StartAt'|'Next'|'Default' target: Done`. */
  Message: string;
  /** For schema errors: where in the definition and which schema rule. */
  schemaError?: { instancePath: string; schemaPath: string };
}

/** The result of {@link validateStateMachine}: asl-validator's `{ isValid, errors, errorsText }`. */
export interface AslValidationResult {
  isValid: boolean;
  errors: AslValidationError[];
  /** The errors as `<code>: <message>` joined by `separator` (default a newline). */
  errorsText(separator?: string): string;
}

type Check = (definition: unknown, options: AslValidationOptions) => AslValidationError[];
type StateEntry = { state: Record<string, unknown> };
type Checker = (entry: StateEntry) => AslValidationError | undefined;
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
}
type CompiledSchema = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** asl-validator's modules, loaded once, from asl-validator's own location. */
interface AslValidatorParts {
  version: string;
  JSONPath: (options: { path: string; json: unknown }) => unknown[];
  codes: Record<string, string>;
  checks: {
    missingTransitionTargetErrors: Check;
    stateTransitionsErrors: Check;
    duplicateStateNames: Check;
    missingTerminalStateErrors: Check;
    mustNotHaveDuplicateFieldNamesAfterEvaluation: Check;
    stateChecks: (
      definition: unknown,
      options: AslValidationOptions,
      checks: Array<{ filter: (entry: StateEntry) => boolean; checker: Checker }>,
    ) => AslValidationError[];
  };
  stateFilters: Record<
    "IsMap" | "IsTask" | "IsWait" | "IsSucceed" | "IsFail" | "IsChoice",
    (e: StateEntry) => boolean
  >;
  AtMostOne: (spec: { props: string[]; errorCode: string; path?: string }) => Checker;
  ExactlyOne: (spec: { props: string[]; errorCode: string; path?: string }) => Checker;
  /** Builds the Ajv instance of json-schema-errors.ts for these options and compiles the schema. */
  compile: (options: AslValidationOptions) => CompiledSchema;
}

const STATE_MACHINE_SCHEMA = "http://asl-validator.cloud/state-machine.json#";
// The order json-schema-errors.ts passes them to Ajv.
const SCHEMAS = [
  "common",
  "paths",
  "jsonata",
  "choice",
  "fail",
  "parallel",
  "pass",
  "base-state-machine",
  "state-machine",
  "state",
  "succeed",
  "task",
  "wait",
  "map",
  "errors",
];

let parts: AslValidatorParts | undefined;
const compiled = new Map<string, CompiledSchema>();
const stateCheckLists = new Map<
  AslValidatorParts,
  Array<{ filter: (entry: StateEntry) => boolean; checker: Checker }>
>();

/** TypeScript's `__importDefault`, as asl-validator's compiled files use it. */
function importDefault<T>(module: unknown): T {
  const m = module as { __esModule?: boolean; default?: unknown };
  return (m?.__esModule ? m.default : m) as T;
}

function load(): AslValidatorParts {
  if (parts) return parts;
  const main = createRequire(import.meta.url).resolve("asl-validator");
  // Resolves exactly what asl-validator's dist/src/validator.js resolves.
  const req = createRequire(main);
  const version = (req("../../package.json") as { version: string }).version;
  const Ajv = importDefault<new (options: object) => unknown>(req("ajv"));
  const addFormats = importDefault<(ajv: unknown) => void>(req("ajv-formats"));
  const jsonata = importDefault<(expression: string) => unknown>(req("jsonata"));
  const { registerAll } = req("asl-path-validator") as { registerAll: (ajv: unknown) => void };
  const { isArnFormatValid } = req("./checks/formats.js") as {
    isArnFormatValid: (value: string) => boolean;
  };
  const schemas = SCHEMAS.map((name) => importDefault<object>(req(`./schemas/${name}.json`)));
  const stateChecks = req("./checks/state-checks.js") as AslValidatorParts["stateFilters"] &
    Pick<AslValidatorParts, "AtMostOne" | "ExactlyOne"> & {
      stateChecks: AslValidatorParts["checks"]["stateChecks"];
    };

  // json-schema-errors.ts, with the Ajv instance kept instead of rebuilt for every definition.
  const compile = (options: AslValidationOptions): CompiledSchema => {
    const ajv = new Ajv({ schemas, allowUnionTypes: true }) as {
      addFormat(name: string, format: (value: string) => boolean): void;
      getSchema(id: string): CompiledSchema | undefined;
    };
    addFormats(ajv);
    const validateJsonataString = (value: string): boolean => {
      const trimmed = value.trim();
      try {
        let expr = trimmed.startsWith("{%") ? trimmed.slice(2) : trimmed;
        expr = expr.endsWith("%}") ? expr.slice(0, -2) : expr;
        jsonata(expr);
        return true;
      } catch {
        return false;
      }
    };
    const maybeJsonataString = (value: string): boolean => {
      const trimmed = value.trim();
      if (trimmed.startsWith("{%") || trimmed.endsWith("%}")) {
        return validateJsonataString(trimmed);
      }
      return true;
    };
    ajv.addFormat("jsonata_string", validateJsonataString);
    ajv.addFormat("maybe_jsonata_string", maybeJsonataString);
    if (options.checkPaths) {
      registerAll(ajv);
    } else {
      ajv.addFormat("asl_path", () => true);
      ajv.addFormat("asl_ref_path", () => true);
      ajv.addFormat("asl_payload_template", () => true);
      ajv.addFormat("asl_result_path", () => true);
    }
    ajv.addFormat("asl_arn", options.checkArn ? isArnFormatValid : () => true);
    const validate = ajv.getSchema(STATE_MACHINE_SCHEMA);
    if (!validate) throw new Error(`asl-validator ${version} has no ${STATE_MACHINE_SCHEMA}`);
    return validate;
  };

  parts = {
    version,
    JSONPath: (req("jsonpath-plus") as Pick<AslValidatorParts, "JSONPath">).JSONPath,
    codes: (req("./types.js") as { StateMachineErrorCode: Record<string, string> })
      .StateMachineErrorCode,
    checks: {
      ...(req("./checks/missing-transition-target-errors.js") as object),
      ...(req("./checks/state-transitions-errors.js") as object),
      ...(req("./checks/duplicate-state-names-errors.js") as object),
      ...(req("./checks/missing-terminal-state-errors.js") as object),
      ...(req("./checks/duplicate-payload-template-fields.js") as object),
      stateChecks: stateChecks.stateChecks,
    } as AslValidatorParts["checks"],
    stateFilters: stateChecks,
    AtMostOne: stateChecks.AtMostOne,
    ExactlyOne: stateChecks.ExactlyOne,
    compile,
  };
  return parts;
}

/** validator.ts's list of per-state checks, in its order. */
function stateCheckList(p: AslValidatorParts) {
  const cached = stateCheckLists.get(p);
  if (cached) return cached;
  const { IsMap, IsTask, IsWait, IsSucceed, IsFail, IsChoice } = p.stateFilters;
  const { AtMostOne, ExactlyOne, codes } = p;
  const list = [
    {
      filter: IsTask,
      checker: AtMostOne({
        props: ["TimeoutSeconds", "TimeoutSecondsPath"],
        errorCode: codes.TaskTimeoutError!,
      }),
    },
    {
      filter: IsTask,
      checker: AtMostOne({
        props: ["HeartbeatSeconds", "HeartbeatSecondsPath"],
        errorCode: codes.TaskHeartbeatError!,
      }),
    },
    {
      filter: IsMap,
      checker: ExactlyOne({
        props: ["ItemProcessor", "Iterator"],
        errorCode: codes.MapItemProcessorError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["ItemSelector", "Parameters"],
        errorCode: codes.MapItemSelectorError!,
      }),
    },
    {
      filter: IsWait,
      checker: ExactlyOne({
        props: ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        errorCode: codes.WaitDurationError!,
      }),
    },
    {
      filter: (entry: StateEntry) => !(IsSucceed(entry) || IsFail(entry) || IsChoice(entry)),
      checker: ExactlyOne({
        props: ["End", "Next"],
        errorCode: codes.TerminalStateWithNextError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["ToleratedFailureCount", "ToleratedFailureCountPath"],
        errorCode: codes.MapToleratedFailureError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["ToleratedFailurePercentage", "ToleratedFailurePercentagePath"],
        errorCode: codes.MapToleratedFailureError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["MaxConcurrency", "MaxConcurrencyPath"],
        errorCode: codes.MapMaxConcurrencyError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({ props: ["Items", "ItemsPath"], errorCode: codes.MapItemsError! }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["MaxItems", "MaxItemsPath"],
        path: "$.ItemReader.ReaderConfig",
        errorCode: codes.MapItemReaderMaxItemsError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["MaxItemsPerBatch", "MaxItemsPerBatchPath"],
        path: "$.ItemBatcher",
        errorCode: codes.MapItemBatcherError!,
      }),
    },
    {
      filter: IsMap,
      checker: AtMostOne({
        props: ["MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"],
        path: "$.ItemBatcher",
        errorCode: codes.MapItemBatcherError!,
      }),
    },
    {
      filter: IsFail,
      checker: AtMostOne({ props: ["Cause", "CausePath"], errorCode: codes.FailCauseProperty! }),
    },
    {
      filter: IsFail,
      checker: AtMostOne({ props: ["Error", "ErrorPath"], errorCode: codes.FailErrorProperty! }),
    },
  ];
  stateCheckLists.set(p, list);
  return list;
}

/** A deep copy of the plain objects and arrays of a value (asl-validator writes into them). */
function copy(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copy(item, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    out[key] = copy((value as Record<string, unknown>)[key], seen);
  }
  return out;
}

/** json-schema-errors.ts's selection of Ajv errors: the deepest, `oneOf` first, no duplicates. */
function schemaErrors(errors: AjvError[], code: string): AslValidationError[] {
  let selected: AjvError[] = [];
  let deepest = 0;
  for (const error of errors) {
    const depth = error.instancePath.split("/").length;
    if (depth === deepest) selected.push(error);
    else if (depth > deepest) selected = [error];
    deepest = Math.max(deepest, depth);
  }
  const withOneOf = new Set(
    selected.filter((e) => e.keyword === "oneOf").map((e) => e.instancePath),
  );
  const mapped = selected
    .filter((e) => e.keyword === "oneOf" || !withOneOf.has(e.instancePath))
    .map((e) => ({
      "Error code": code,
      Message: `${e.instancePath} is invalid. ${e.message ?? ""}`,
      schemaError: { instancePath: e.instancePath, schemaPath: decodeURIComponent(e.schemaPath) },
    }));
  return mapped.filter(
    (v, i, a) =>
      a.findIndex(
        (w) =>
          w.schemaError.schemaPath === v.schemaError.schemaPath &&
          w.schemaError.instancePath === v.schemaError.instancePath,
      ) === i,
  );
}

/**
 * Validates an Amazon States Language definition with asl-validator 4.0.0's rules and gives the
 * same `{ isValid, errors, errorsText }`, but compiles asl-validator's JSON schemas only on the
 * first call for each combination of options (about a second) and reuses them afterwards (about
 * 20–40 ms for a 50-job pipeline, against a quarter of a second or more for every asl-validator
 * call). Unlike asl-validator, it does not modify the definition it is given (plain objects and
 * arrays are copied first). Like asl-validator, it throws a `TypeError` for a `States` entry that
 * is not an object.
 */
export function validateStateMachine(
  definition: unknown,
  options?: AslValidationOptions,
): AslValidationResult {
  const p = load();
  // validator.ts: a state's query language defaults to the state machine's, or JSONPath.
  const machine = copy(definition) as { QueryLanguage?: unknown };
  const defaultQueryLanguage = machine.QueryLanguage ?? "JSONPath";
  for (const states of p.JSONPath({ path: "$..States", json: machine }) as Array<
    Record<string, Record<string, unknown>>
  >) {
    for (const name of Object.keys(states)) {
      const state = states[name]!;
      if (!state.QueryLanguage) state.QueryLanguage = defaultQueryLanguage;
    }
  }
  const opts = options ?? { checkPaths: true, checkArn: true };
  const key = `${opts.checkPaths ? "paths" : ""}/${opts.checkArn ? "arn" : ""}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = p.compile(opts);
    compiled.set(key, validate);
  }
  const errors = validate(machine)
    ? []
    : schemaErrors(validate.errors ?? [], p.codes.SchemaValidationFailed!);
  if (errors.length === 0) {
    const c = p.checks;
    errors.push(...c.missingTransitionTargetErrors(machine, opts));
    errors.push(...c.stateTransitionsErrors(machine, opts));
    errors.push(...c.duplicateStateNames(machine, opts));
    errors.push(...c.missingTerminalStateErrors(machine, opts));
    errors.push(...c.mustNotHaveDuplicateFieldNamesAfterEvaluation(machine, opts));
    errors.push(...c.stateChecks(machine, opts, stateCheckList(p)));
  }
  return {
    isValid: errors.length === 0,
    errors,
    errorsText: (separator = "\n") =>
      errors.map((error) => `${error["Error code"]}: ${error.Message}`).join(separator),
  };
}

/** The version of the asl-validator whose files {@link validateStateMachine} uses. */
export function aslValidatorVersion(): string {
  return load().version;
}

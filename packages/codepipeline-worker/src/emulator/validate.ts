import { MODEL_SHAPES } from "./model.generated.js";
import type { ModelConstraints, ModelShape } from "./model-types.js";
import { ServiceException } from "./service-exception.js";

/** Type mismatches the JSON 1.1 deserializer refuses before validation runs. */
class SerializationProblem extends Error {}

const patterns = new Map<string, RegExp>();
/** The model's patterns, compiled once. */
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source, "u");
    patterns.set(source, re);
  }
  return re;
}

/** Length as the model counts it: Unicode code points. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) n++;
    else {
      const d = text.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

function describe(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : value === null ? "null" : String(value);
}

function check(
  value: unknown,
  c: ModelConstraints,
  path: string,
  problems: string[],
  echo: boolean,
): void {
  const at = `${echo ? `Value ${describe(value)}` : "Value"} at '${path}' failed to satisfy constraint: Member must`;
  if (c.length !== undefined) {
    const size =
      typeof value === "string"
        ? codePoints(value)
        : Array.isArray(value)
          ? value.length
          : typeof value === "object" && value !== null
            ? Object.keys(value).length
            : undefined;
    if (size !== undefined && c.length.min !== undefined && size < c.length.min)
      problems.push(`${at} have length greater than or equal to ${c.length.min}`);
    if (size !== undefined && c.length.max !== undefined && size > c.length.max)
      problems.push(`${at} have length less than or equal to ${c.length.max}`);
  }
  if (c.pattern !== undefined && typeof value === "string" && !pattern(c.pattern).test(value))
    problems.push(`${at} satisfy regular expression pattern: ${c.pattern}`);
  if (c.range !== undefined && typeof value === "number") {
    if (c.range.min !== undefined && value < c.range.min)
      problems.push(`${at} have value greater than or equal to ${c.range.min}`);
    if (c.range.max !== undefined && value > c.range.max)
      problems.push(`${at} have value less than or equal to ${c.range.max}`);
  }
  if (c.enum !== undefined && !c.enum.includes(value as string))
    problems.push(`${at} satisfy enum value set: [${c.enum.join(", ")}]`);
}

function walk(value: unknown, shapeName: string, path: string, problems: string[]): void {
  const shape = MODEL_SHAPES[shapeName] as ModelShape | undefined;
  if (!shape) throw new Error(`emulator model has no shape ${shapeName}`);
  if (value === undefined || value === null) return;
  const mismatch = (want: string) =>
    new SerializationProblem(`Expected ${want} at '${path || "(body)"}'`);
  switch (shape.type) {
    case "string":
      if (typeof value !== "string") throw mismatch("a string");
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) throw mismatch("an integer");
      break;
    case "number":
      if (typeof value !== "number") throw mismatch("a number");
      break;
    case "boolean":
      if (typeof value !== "boolean") throw mismatch("a boolean");
      break;
    case "timestamp":
      // AWS JSON 1.1 sends timestamps as epoch seconds.
      if (typeof value !== "number" || !Number.isFinite(value)) throw mismatch("epoch seconds");
      break;
    case "list":
      if (!Array.isArray(value)) throw mismatch("a list");
      for (const [i, item] of value.entries())
        walk(item, shape.member as string, `${path}.${i + 1}.member`, problems);
      break;
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) throw mismatch("a map");
      const keyShape = MODEL_SHAPES[shape.key as string] as ModelShape;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const keyProblems: string[] = [];
        check(k, keyShape, `${path}`, keyProblems, true);
        for (const p of keyProblems)
          problems.push(
            p.replace(
              "failed to satisfy constraint: Member must",
              "failed to satisfy constraint: Map keys must",
            ),
          );
        walk(v, shape.value as string, `${path}.${k}.member`, problems);
      }
      break;
    }
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value)) throw mismatch("an object");
      const record = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const memberPath = path ? `${path}.${name}` : name;
        const v = record[name];
        if (v === undefined || v === null) {
          if (member.required)
            problems.push(
              `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
            );
          continue;
        }
        walk(v, member.target, memberPath, problems);
        check(v, member, memberPath, problems, echoes(member, v));
      }
      break;
    }
  }
  check(value, shape, path, problems, echoes(shape, value));
}

/** Whether an error may quote the value: enums and numbers, never free text (it may be a secret). */
function echoes(c: ModelConstraints, value: unknown): boolean {
  return c.enum !== undefined || typeof value === "number";
}

/**
 * Validates a request body against the input shape of an operation in the service's model, the
 * way the service does before it runs the operation: a value of the wrong JSON type is a
 * `SerializationException`; broken length, pattern, range, enum or required constraints are
 * one `ValidationException` listing every problem ("2 validation errors detected: …").
 * Values are echoed only for enums and numbers, so a secret never comes back in an error.
 */
export function validateInput(input: unknown, shapeName: string): void {
  const problems: string[] = [];
  try {
    walk(input, shapeName, "", problems);
  } catch (error) {
    if (error instanceof SerializationProblem)
      throw new ServiceException("SerializationException", error.message);
    throw error;
  }
  if (problems.length > 0) {
    throw new ServiceException(
      "ValidationException",
      `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`,
    );
  }
}

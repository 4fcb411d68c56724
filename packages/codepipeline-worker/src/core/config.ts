import { CodepipelineWorkerError } from "../errors.js";
import type { ConfigurationProperty } from "./action.js";

/**
 * Turns the string map CodePipeline sends (`actionConfiguration.configuration`) into typed
 * values; a missing required property or a value of the wrong type is a `CONFIGURATION_ERROR`
 * (reported to the pipeline as `ConfigurationError`).
 */
export function parseConfiguration(
  properties: readonly ConfigurationProperty[],
  raw: Record<string, string> | undefined,
): Record<string, string | number | boolean | undefined> {
  const values = raw ?? {};
  const out: Record<string, string | number | boolean | undefined> = {};
  const problems: string[] = [];
  for (const p of properties) {
    const value = values[p.name];
    if (value === undefined || value === "") {
      if (p.required) problems.push(`${p.name} is required but not set`);
      out[p.name] = undefined;
      continue;
    }
    if (p.type === "Number") {
      const n = Number(value.trim());
      if (value.trim() === "" || !Number.isFinite(n)) {
        problems.push(
          `${p.name} must be a number${p.secret ? "" : ` (got ${JSON.stringify(value)})`}`,
        );
      }
      out[p.name] = n;
    } else if (p.type === "Boolean") {
      const v = value.trim().toLowerCase();
      if (v !== "true" && v !== "false") {
        problems.push(
          `${p.name} must be true or false${p.secret ? "" : ` (got ${JSON.stringify(value)})`}`,
        );
      }
      out[p.name] = v === "true";
    } else {
      out[p.name] = value;
    }
  }
  if (problems.length > 0) {
    throw new CodepipelineWorkerError(
      "CONFIGURATION_ERROR",
      `Invalid action configuration: ${problems.join("; ")}`,
    );
  }
  return out;
}

/** The non-empty values of secret properties, longest first (so redaction replaces whole values). */
export function secretValues(
  properties: readonly ConfigurationProperty[],
  raw: Record<string, string> | undefined,
): string[] {
  return properties
    .filter((p) => p.secret)
    .map((p) => raw?.[p.name])
    .filter((v): v is string => typeof v === "string" && v.length > 0)
    .sort((a, b) => b.length - a.length);
}

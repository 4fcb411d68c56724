import { HttpFailure } from "./http.js";

/**
 * Resolves the `{id}` path segment as Livy's SessionServlet does: an all-digit segment is an id
 * (past Int range it is 400 `For input string`), anything else a name; unknown → 404.
 */
export function lookup<T>(
  segment: string,
  byId: ReadonlyMap<number, T>,
  byName: ReadonlyMap<string, T>,
): T {
  const found = /^\d+$/.test(segment) ? byId.get(javaInt(segment)) : byName.get(segment);
  if (found === undefined) throw new HttpFailure(404, `Session '${segment}' not found.`);
  return found;
}

/** Java's `Integer.parseInt`: 400 `For input string: "…"` outside Int range or not a number. */
export function javaInt(text: string): number {
  if (!/^[-+]?\d+$/.test(text)) throw new HttpFailure(400, `For input string: "${text}"`);
  const value = Number(text);
  if (value > 2147483647 || value < -2147483648) {
    throw new HttpFailure(400, `For input string: "${text}"`);
  }
  return value;
}

/** An optional integer query parameter (`params.get(name).map(_.toInt)`). */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  return raw === null ? undefined : javaInt(raw);
}

/** Scala's `seq.view(from, until)`: both ends clamped to the sequence, empty when reversed. */
export function view<T>(items: readonly T[], from: number, until: number): T[] {
  const start = Math.max(0, from);
  const end = Math.min(items.length, Math.max(start, until));
  return items.slice(start, end);
}

/** Livy/Spark time strings: `500ms`, `30s`, `10m`/`10min`, `2h`, `1d`; a bare number is milliseconds. */
export function durationMs(text: string): number | null {
  const match = /^(\d+)\s*(ms|s|m|min|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  };
  return Number(match[1]) * (units[match[2] ?? "ms"] ?? 1);
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyLogPage,
  applySectionedLog,
  initialLogCursor,
  type LogCursorState,
  type LogPage,
  nextLogRequest,
  realignLog,
  type SectionedLogCursorState,
  splitLogSections,
} from "../src/core/log-cursor.js";

// A server log as Livy serves it: a bounded buffer of the newest `capacity` lines.
function serve(all: string[], capacity: number, from: number | undefined, size: number): LogPage {
  const lines = all.slice(-capacity);
  const start = from === undefined ? Math.max(0, lines.length - size) : from;
  return { from: start, total: lines.length, log: lines.slice(start, start + size) };
}

function pollOnce(state: LogCursorState, all: string[], capacity: number, pageSize: number) {
  const out: string[] = [];
  let gap = false;
  for (;;) {
    const request = nextLogRequest(state, pageSize);
    const applied = applyLogPage(state, serve(all, capacity, request.from, request.size));
    if (applied) {
      state = applied.state;
      gap ||= applied.gap;
      out.push(...applied.lines);
      if (!applied.more) break;
      continue;
    }
    const realigned = realignLog(state, serve(all, capacity, undefined, pageSize));
    state = realigned.state;
    gap ||= realigned.gap;
    out.push(...realigned.lines);
    break;
  }
  return { state, out, gap };
}

describe("log cursor", () => {
  it("emits each line once, in order, however the log grows between polls", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 7 }),
        (growth, pageSize) => {
          const all: string[] = [];
          let state = initialLogCursor;
          const seen: string[] = [];
          for (const added of growth) {
            for (let i = 0; i < added; i++) all.push(`line ${all.length}`);
            const result = pollOnce(state, all, 10_000, pageSize);
            state = result.state;
            seen.push(...result.out);
            expect(result.gap).toBe(false);
          }
          expect(seen).toEqual(all);
        },
      ),
    );
  });

  it("realigns without duplicates when a bounded buffer rotates, and reports gaps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 5, max: 30 }),
        (growth, capacity) => {
          const all: string[] = [];
          let state = initialLogCursor;
          const seen: string[] = [];
          for (const added of growth) {
            for (let i = 0; i < added; i++) all.push(`line ${all.length}`);
            const before = seen.length;
            const result = pollOnce(state, all, capacity, 50);
            state = result.state;
            seen.push(...result.out);
            // A poll that reports no gap delivers exactly the lines after the last one seen.
            if (!result.gap) {
              // (The first poll can only see what the server still holds.)
              const expected =
                before === 0 ? all.slice(-capacity) : all.slice(all.indexOf(seen[before - 1]!) + 1);
              expect(result.out).toEqual(expected);
            } else {
              expect(added).toBeGreaterThan(0);
            }
            // Each poll delivers new lines only, in order, and the newest line is always caught.
            const indexes = seen.map((line) => Number(line.split(" ")[1]));
            for (let i = 1; i < indexes.length; i++)
              expect(indexes[i]).toBeGreaterThan(indexes[i - 1]!);
            expect(seen.at(-1)).toBe(all.at(-1)); // both undefined while nothing was written
          }
        },
      ),
    );
  });

  it("asks for the overlap it verifies", () => {
    const state: LogCursorState = { offset: 10, tail: ["a", "b", "c", "d"] };
    expect(nextLogRequest(state, 100)).toEqual({ from: 7, size: 103 });
    expect(
      applyLogPage(state, { from: 7, total: 12, log: ["b", "c", "d", "e", "f"] })?.lines,
    ).toEqual(["e", "f"]);
    expect(applyLogPage(state, { from: 7, total: 12, log: ["x", "c", "d", "e"] })).toBeUndefined();
    expect(applyLogPage(state, { from: 7, total: 5, log: [] })).toBeUndefined();
  });

  it("follows Livy's stdout/stderr section layout, where stdout lines are inserted mid-log", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(6), fc.nat(6)), { minLength: 1, maxLength: 10 }),
        (growth) => {
          const out: string[] = [];
          const err: string[] = [];
          let state: SectionedLogCursorState = {};
          const seen: string[] = [];
          for (const [outs, errs] of growth) {
            for (let i = 0; i < outs; i++) out.push(`out ${out.length}`);
            for (let i = 0; i < errs; i++) err.push(`err ${err.length}`);
            const sections = splitLogSections(["stdout: ", ...out, "\nstderr: ", ...err])!;
            const result = applySectionedLog(state, sections);
            expect(result.gap).toBe(false);
            state = result.state;
            seen.push(...result.lines);
          }
          expect(seen.filter((l) => l.startsWith("out"))).toEqual(out);
          expect(seen.filter((l) => l.startsWith("err"))).toEqual(err);
          expect(seen).toHaveLength(out.length + err.length);
        },
      ),
    );
  });

  it("recognises the section layout only when the log starts with it", () => {
    expect(splitLogSections(["line 1", "stdout: "])).toBeUndefined();
    expect(splitLogSections([])).toBeUndefined();
    expect(splitLogSections(["stdout: ", "a", "\nstderr: ", "\nYARN Diagnostics: ", "d"])).toEqual([
      { name: "stdout", lines: ["a"] },
      { name: "stderr", lines: [] },
      { name: "YARN Diagnostics", lines: ["d"] },
    ]);
  });

  it("does not silently drop repeated identical lines once the buffer is full", () => {
    // A job that prints a distinct line, then the same "tick" over and over, into a 10-line
    // buffer: once it rotates, indexes shift and new ticks can look like "nothing new".
    const all = ["start", "tick", "tick", "tick"];
    const first = pollOnce(initialLogCursor, all, 10, 100);
    expect(first).toMatchObject({ out: all, gap: false });
    all.push(...Array(12).fill("tick"));
    const second = pollOnce(first.state, all, 10, 100);
    // Twelve ticks arrived; the cursor cannot count how many of the identical lines it missed,
    // so it reports a gap instead of claiming it saw them all.
    expect(second.out.every((line) => line === "tick")).toBe(true);
    expect(second.gap).toBe(true);
    // Reported once per stretch, not on every poll.
    const third = pollOnce(second.state, all, 10, 100);
    expect(third.gap).toBe(false);
    // Distinct lines verify against the whole remembered tail and are delivered exactly.
    all.push("done 1", "done 2");
    const fourth = pollOnce(third.state, all, 10, 100);
    expect(fourth.out).toEqual(["done 1", "done 2"]);
    expect(fourth.gap).toBe(false);
  });

  it("treats YARN's replaced Diagnostics section as a replacement, not a gap", () => {
    const layout = (diagnostics: string[]) =>
      splitLogSections([
        "stdout: ",
        "out 1",
        "\nstderr: ",
        "err 1",
        "\nYARN Diagnostics: ",
        ...diagnostics,
      ])!;
    const first = applySectionedLog({}, layout(["Application is ACCEPTED", "queue: default"]));
    expect(first.lines).toEqual(["out 1", "err 1", "Application is ACCEPTED", "queue: default"]);
    const same = applySectionedLog(
      first.state,
      layout(["Application is ACCEPTED", "queue: default"]),
    );
    expect(same).toMatchObject({ lines: [], gap: false });
    const replaced = applySectionedLog(same.state, layout(["Application is RUNNING"]));
    expect(replaced).toMatchObject({ lines: ["Application is RUNNING"], gap: false });
  });
});

// The pipeline picture (SVG) and the per-job summary of an execution history: both pure.
import { describe, expect, it } from "vitest";
import {
  definePipeline,
  renderPipelineSvg,
  summarizePipelineHistory,
} from "../src/pipeline/index.js";

const pipeline = definePipeline({
  name: "etl",
  jobs: {
    miles: { batch: { file: "jobs/miles.mjs" } },
    hours: { batch: { file: "jobs/a&b<c>.mjs" }, retries: 2 },
    status: { batch: { file: "jobs/status.mjs" }, dependsOn: ["miles"] },
  },
});

describe("renderPipelineSvg", () => {
  it("draws a box per job, an arrow per dependency, start and end, and escapes text", () => {
    const svg = renderPipelineSvg(pipeline, {
      jobStates: { miles: "succeeded", status: "failed" },
    });
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const name of ["miles", "hours", "status"]) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain("a&#38;b&#60;c&#62;.mjs");
    expect(svg).not.toContain("a&b<c>");
    // Arrows: start → miles, start → hours, miles → status, status → end, hours → end.
    expect(svg.match(/marker-end="url\(#arrow\)"/g)).toHaveLength(5 + 3);
    expect(svg).toContain('stroke="#d93025"'); // failed job in red
    expect(svg).toContain('stroke="#1e8e3e"'); // succeeded job in green
    expect(svg).toContain("stage 1 · Parallel (2 branches)");
    // Accessible name first: the jobs and their states.
    expect(svg.split("\n")[1]).toBe(
      "<title>Livy pipeline etl: miles (succeeded), hours, status (failed)</title>",
    );
  });
});

describe("summarizePipelineHistory", () => {
  const entered = (type: string, name: string, input: unknown = {}) => ({
    type,
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  });
  const exited = (name: string, output: unknown) => ({
    type: "TaskStateExited",
    stateExitedEventDetails: { name, output: JSON.stringify(output) },
  });

  it("reads attempts, batches and the failing job's reason", () => {
    const jobs = summarizePipelineHistory(
      [
        entered("TaskStateEntered", "miles submit"),
        exited("miles submit", { livy: { batchId: 4, state: "starting", attempt: 1 } }),
        exited("miles status", { livy: { batchId: 4, state: "success", attempt: 1 } }),
        entered("PassStateEntered", "miles succeeded"),
        entered("TaskStateEntered", "hours submit"),
        exited("hours submit", { livy: { batchId: 5, state: "running", attempt: 1 } }),
        entered("TaskStateEntered", "hours submit"),
        exited("hours status", { livy: { batchId: 6, state: "dead", attempt: 2 } }),
        entered("FailStateEntered", "hours failed", { livy: { batchId: 6, state: "dead" } }),
      ],
      ["miles", "hours", "status"],
      "FAILED",
    );
    expect(jobs).toEqual({
      miles: { state: "succeeded", attempts: 1, batchId: 4, batchState: "success" },
      hours: {
        state: "failed",
        attempts: 2,
        batchId: 6,
        batchState: "dead",
        reason: "batch 6 ended dead",
      },
      status: { state: "pending", attempts: 0 },
    });
  });

  it("reports a task error as the reason, and running jobs of a closed execution as stopped", () => {
    const jobs = summarizePipelineHistory(
      [
        entered("TaskStateEntered", "miles submit"),
        entered("FailStateEntered", "miles failed", {
          error: { Error: "Lambda.ResourceNotFoundException", Cause: "Function not found" },
        }),
        entered("TaskStateEntered", "hours submit"),
      ],
      [],
      "ABORTED",
    );
    expect(jobs.miles).toMatchObject({
      state: "failed",
      reason: "Lambda.ResourceNotFoundException: Function not found",
    });
    expect(jobs.hours).toMatchObject({ state: "stopped", attempts: 1 });
  });
});

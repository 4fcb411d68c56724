// Reads a compiled pipeline's execution history (GetExecutionHistory events) back into jobs:
// which ran, which succeeded, which failed and why. Pure; the state names are the compiler's
// (`<job> submit`, `<job> status`, `<job> succeeded`, `<job> failed`, see asl.ts).

/** The parts of a history event the summary reads (the AWS SDK's `HistoryEvent` fits). */
export interface PipelineHistoryEvent {
  type?: string;
  timestamp?: Date | number;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  executionFailedEventDetails?: { error?: string; cause?: string };
}

/** Where one job of an execution stands. */
export type PipelineExecutionJobState = "pending" | "running" | "succeeded" | "failed" | "stopped";

/** One job as the history shows it. */
export interface PipelineExecutionJob {
  state: PipelineExecutionJobState;
  /** The Livy batch of the latest attempt, once submitted. */
  batchId?: number;
  /** The batch's last reported Livy state (`running`, `success`, `dead`, …). */
  batchState?: string;
  /** Attempts started (1 + retries used). */
  attempts: number;
  /** Why it failed: the batch's end state, or the task error and its cause. */
  reason?: string;
}

const STEPS = [
  "start",
  "submit",
  "wait",
  "status",
  "done?",
  "retry?",
  "next attempt",
  "succeeded",
  "failed",
];

function jobStep(stateName: string, jobs: ReadonlySet<string>): [string, string] | undefined {
  for (const step of STEPS) {
    if (!stateName.endsWith(` ${step}`)) continue;
    const job = stateName.slice(0, -step.length - 1);
    if (jobs.size === 0 || jobs.has(job)) return [job, step];
  }
  return undefined;
}

function parse(text: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? "null") as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Summarises the history of a compiled pipeline's execution per job. `jobs` lists the
 * pipeline's job names (each starts `pending`); without it, jobs are the ones the history names.
 * `executionStatus` turns jobs still running into `stopped` once the execution has closed.
 */
export function summarizePipelineHistory(
  events: readonly PipelineHistoryEvent[],
  jobs: readonly string[] = [],
  executionStatus = "RUNNING",
): Record<string, PipelineExecutionJob> {
  const known = new Set(jobs);
  const summary: Record<string, PipelineExecutionJob> = {};
  for (const job of jobs) summary[job] = { state: "pending", attempts: 0 };
  for (const event of events) {
    const entered = event.type?.endsWith("StateEntered")
      ? event.stateEnteredEventDetails
      : undefined;
    const exited = event.type?.endsWith("StateExited") ? event.stateExitedEventDetails : undefined;
    const name = entered?.name ?? exited?.name;
    if (!name) continue;
    const found = jobStep(name, known);
    if (!found) continue;
    const [job, step] = found;
    summary[job] ??= { state: "pending", attempts: 0 };
    const current = summary[job];
    if (entered) {
      if (step === "submit") {
        current.state = "running";
        current.attempts += 1;
      } else if (step === "succeeded") {
        current.state = "succeeded";
        delete current.reason;
      } else if (step === "failed") {
        current.state = "failed";
        const input = parse(entered.input);
        const livy = input.livy as { batchId?: number; state?: string } | undefined;
        const error = input.error as { Error?: string; Cause?: string } | undefined;
        current.reason = error?.Error
          ? `${error.Error}${error.Cause ? `: ${error.Cause}` : ""}`
          : `batch ${livy?.batchId ?? current.batchId ?? "?"} ended ${livy?.state ?? current.batchState ?? "failed"}`;
      }
    } else if (exited && (step === "submit" || step === "status")) {
      const livy = parse(exited.output).livy as { batchId?: number; state?: string } | undefined;
      if (typeof livy?.batchId === "number") current.batchId = livy.batchId;
      if (typeof livy?.state === "string") current.batchState = livy.state;
    }
  }
  if (executionStatus !== "RUNNING") {
    for (const job of Object.values(summary)) if (job.state === "running") job.state = "stopped";
  }
  return summary;
}

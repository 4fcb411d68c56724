import type { IncomingMessage, ServerResponse } from "node:http";
import type { EnqueueArtifact, EnqueueJobInput } from "./enqueue.js";
import type { EmulatedExecution, EmulatorState } from "./state.js";
import type { EmulatorFault } from "./wire.js";
import { readBody, sendJson } from "./wire.js";

/** What the control API drives. */
export interface ControlDeps {
  state: EmulatorState;
  enqueueJob(input: EnqueueJobInput): Promise<{ jobId: string; actionExecutionId: string }>;
  waitForExecution(id: string, options: { timeoutMs: number }): Promise<EmulatedExecution>;
  injectFault(fault: EmulatorFault): void;
  calls: Readonly<Record<string, number>>;
  /** Host names (with port) this server answers to; anything else is refused. */
  allowedHosts: ReadonlySet<string>;
}

/**
 * Whether a request could come from a web page rather than a test or a script: browsers send
 * `Origin` on cross-site POSTs and a foreign `Host` on DNS rebinding. The control API hands out
 * job data with secret values, so such requests are refused.
 */
function forged(req: IncomingMessage, allowedHosts: ReadonlySet<string>): string | undefined {
  if (req.headers.origin !== undefined) return "requests with an Origin header are refused";
  if (!allowedHosts.has(String(req.headers.host ?? "").toLowerCase()))
    return `Host ${JSON.stringify(req.headers.host ?? "")} is not this emulator`;
  return undefined;
}

/** The HTTP control API under `/_emulator/`: queue jobs, read jobs and executions, wait, inject faults, count calls. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  deps: ControlDeps,
): Promise<void> {
  const refused = forged(req, deps.allowedHosts);
  if (refused) {
    sendJson(res, 403, { message: refused });
    return;
  }
  const parts = path.split("/").filter(Boolean).slice(1);
  try {
    if (req.method === "POST" && parts[0] === "jobs" && parts.length === 1) {
      const body = JSON.parse(await readBody(req)) as EnqueueJobInput & {
        inputArtifacts?: Array<EnqueueArtifact & { zipBase64?: string }>;
      };
      for (const a of body.inputArtifacts ?? [])
        if (a.zipBase64) a.zip = Buffer.from(a.zipBase64, "base64");
      sendJson(res, 201, await deps.enqueueJob(body));
    } else if (req.method === "GET" && parts[0] === "jobs" && parts[1]) {
      const job = deps.state.jobs.get(parts[1]);
      if (job) sendJson(res, 200, job);
      else sendJson(res, 404, { message: `no job ${parts[1]}` });
    } else if (req.method === "GET" && parts[0] === "executions" && parts[1]) {
      const execution = deps.state.executions.get(parts[1]);
      if (!execution) sendJson(res, 404, { message: `no execution ${parts[1]}` });
      else if (parts[2] === "wait")
        sendJson(res, 200, await deps.waitForExecution(parts[1], { timeoutMs: 60_000 }));
      else sendJson(res, 200, execution);
    } else if (req.method === "POST" && parts[0] === "faults") {
      deps.injectFault(JSON.parse(await readBody(req)) as EmulatorFault);
      res.writeHead(204).end();
    } else if (req.method === "GET" && parts[0] === "calls") {
      sendJson(res, 200, deps.calls);
    } else {
      sendJson(res, 404, { message: `unknown control route ${req.method} ${path}` });
    }
  } catch (error) {
    sendJson(res, 400, { message: (error as Error).message });
  }
}

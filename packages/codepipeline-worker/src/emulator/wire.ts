import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../core/context.js";
import { CodepipelineWorkerError } from "../errors.js";
import { MODEL_OPERATIONS } from "./model.generated.js";
import { ServiceException } from "./service-exception.js";
import { validateInput } from "./validate.js";

/** A fault to inject into the next matching CodePipeline calls. */
export interface EmulatorFault {
  /** Operation name (`PollForJobs`, …) or `"*"`. */
  operation: string;
  /**
   * `ThrottlingException`, `AccessDeniedException`, `ValidationException`,
   * `OutputVariablesSizeExceededException` (400), `InternalFailure` (500) or `ServiceUnavailable` (503).
   */
  error:
    | "ThrottlingException"
    | "AccessDeniedException"
    | "ValidationException"
    | "OutputVariablesSizeExceededException"
    | "InternalFailure"
    | "ServiceUnavailable";
  /** How many calls fail. @defaultValue 1 */
  count?: number;
}

/** One CodePipeline request the emulator received, as sent (for tests that search what left a worker). */
export interface ApiRequestRecord {
  operation: string;
  /** The raw JSON body. */
  body: string;
}

/** The operation implementations behind the wire layer; inputs arrive validated against the model. */
export type Operations = Record<string, (input: Record<string, unknown>) => unknown>;

const TARGET_PREFIX = "CodePipeline_20150709.";
export const FAULT_STATUS: Record<EmulatorFault["error"], number> = {
  ThrottlingException: 400,
  AccessDeniedException: 400,
  ValidationException: 400,
  OutputVariablesSizeExceededException: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};
const MAX_RECORDS = 10_000;

/** Reads a request body up to `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ServiceException("ValidationException", "Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Serialises a JSON 1.1 body: timestamps become epoch seconds, as the protocol requires. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

/** Writes a JSON response (AWS JSON 1.1 content type). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = toJson(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "x-amzn-requestid": randomUUID(),
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The AWS JSON 1.1 layer: `POST /` with `X-Amz-Target: CodePipeline_20150709.<Operation>`, a
 * signed request, the input checked against the operation's shape in the service's model, then
 * the operation; errors as `{ "__type", "message" }` with `x-amzn-ErrorType`. Counts calls,
 * keeps the latest 10 000 request bodies, and plays injected faults.
 */
export function createWireLayer(operations: Operations, logger: Logger) {
  const faults: Array<Required<EmulatorFault>> = [];
  const calls: Record<string, number> = {};
  const requests: ApiRequestRecord[] = [];

  function sendError(res: ServerResponse, error: ServiceException) {
    sendJson(
      res,
      error.status,
      { __type: error.type, message: error.message },
      { "x-amzn-errortype": error.type },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      if (req.method !== "POST" || path !== "/") {
        throw new ServiceException(
          "UnknownOperationException",
          `${req.method} ${path} is not an operation; send POST / with X-Amz-Target`,
          404,
        );
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = await readBody(req);
      if (!req.headers.authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
        throw new ServiceException(
          "MissingAuthenticationTokenException",
          "Request is missing Authentication Token",
          403,
        );
      }
      if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.1")) {
        throw new ServiceException(
          "SerializationException",
          "Content-Type must be application/x-amz-json-1.1",
        );
      }
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
      const run = operations[operation];
      const model = MODEL_OPERATIONS[operation];
      if (!run || !model)
        throw new ServiceException(
          "UnknownOperationException",
          `Unknown operation ${target || "(no X-Amz-Target)"}`,
        );
      calls[operation] = (calls[operation] ?? 0) + 1;
      requests.push({ operation, body });
      if (requests.length > MAX_RECORDS) requests.shift();
      const fault = faults.find(
        (f) => f.count > 0 && (f.operation === "*" || f.operation === operation),
      );
      if (fault) {
        fault.count--;
        throw new ServiceException(
          fault.error,
          `Injected ${fault.error}`,
          FAULT_STATUS[fault.error],
        );
      }
      let input: Record<string, unknown>;
      try {
        input = body.trim() === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        throw new ServiceException("SerializationException", "The request body is not valid JSON");
      }
      validateInput(input, model.input);
      const out = run(input);
      logger.debug(`${operation} → 200`);
      sendJson(res, 200, out);
    } catch (error) {
      if (error instanceof ServiceException) {
        logger.debug(`→ ${error.type}`);
        sendError(res, error);
      } else {
        logger.error("emulator error", error);
        sendError(
          res,
          new ServiceException(
            "InternalFailure",
            "The emulator failed to process the request",
            500,
          ),
        );
      }
    }
  }

  return {
    handle,
    calls,
    requests,
    injectFault(fault: EmulatorFault): void {
      if (!(fault.error in FAULT_STATUS)) {
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `Unknown fault ${String(fault.error)}; use ${Object.keys(FAULT_STATUS).join(", ")}.`,
        );
      }
      faults.push({ operation: fault.operation, error: fault.error, count: fault.count ?? 1 });
    },
  };
}

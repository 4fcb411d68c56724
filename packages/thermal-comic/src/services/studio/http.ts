// The studio's thin HTTP edge: who may talk to it (loopback Host, same Origin, the per-server
// token on every state-changing request), bounded bodies, JSON answers. No routing logic here.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isThermalComicError } from "../../errors.js";

/** An error answer: HTTP status plus the JSON body `{ error: { code, message, … } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Refuses what a web page on another site could forge: a Host that is not this loopback server
 * (DNS rebinding), an Origin other than our own, a cross-site fetch, and — for anything but
 * GET/HEAD — a request without the server's token in `X-Studio-Token`.
 */
export function checkRequest(request: IncomingMessage, port: number, token: string): void {
  const host = request.headers.host ?? "";
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match || !LOOPBACK_HOSTS.has(match[1] as string) || Number(match[2] ?? 80) !== port)
    throw new HttpError(
      421,
      "BAD_HOST",
      `the studio answers only to http://127.0.0.1:${port} (Host was ${JSON.stringify(host)})`,
    );
  const origin = request.headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try {
      const url = new URL(origin);
      ok =
        url.protocol === "http:" &&
        LOOPBACK_HOSTS.has(url.hostname.toLowerCase()) &&
        Number(url.port || 80) === port;
    } catch {
      ok = false;
    }
    if (!ok) throw new HttpError(403, "FOREIGN_ORIGIN", `requests from ${origin} are refused`);
  }
  const site = request.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site")
    throw new HttpError(403, "FOREIGN_ORIGIN", `a ${site} request is refused`);
  const method = request.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    const given = request.headers["x-studio-token"];
    const a = Buffer.from(typeof given === "string" ? given : "");
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      throw new HttpError(
        403,
        "MISSING_TOKEN",
        "a state-changing request needs the studio's X-Studio-Token header (reload the page)",
      );
  }
}

/** Reads a request body of at most `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limit)
    throw new HttpError(413, "TOO_LARGE", `the upload is ${declared} bytes; the limit is ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new HttpError(413, "TOO_LARGE", `the upload is over the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON body (an object), or answers 400. */
export async function readJson(
  request: IncomingMessage,
  limit: number,
): Promise<Record<string, unknown>> {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(415, "BAD_CONTENT_TYPE", "send JSON with Content-Type: application/json");
  const text = (await readBody(request, limit)).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new HttpError(400, "BAD_JSON", `the body is not JSON: ${(cause as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new HttpError(400, "BAD_JSON", "the body must be a JSON object");
  return value as Record<string, unknown>;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Sends bytes with the security headers every answer carries. */
export function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(value));
}

/** The HTTP status for a package error: the caller's input (4xx) or the printer (502). */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (!isThermalComicError(error)) return 500;
  switch (error.code) {
    case "PRINTER_UNREACHABLE":
    case "PRINT_INTERRUPTED":
      return 502;
    case "IO_ERROR":
      return 500;
    default:
      return 422;
  }
}

/** The JSON error body: code, message and the data to act on (field, path relative to nothing secret). */
export function errorBody(error: unknown): { error: Record<string, unknown> } {
  if (error instanceof HttpError)
    return { error: { code: error.code, message: error.message, ...error.data } };
  if (isThermalComicError(error))
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field !== undefined && { field: error.field }),
        ...(error.panel !== undefined && { panel: error.panel }),
      },
    };
  return { error: { code: "INTERNAL", message: (error as Error)?.message ?? String(error) } };
}

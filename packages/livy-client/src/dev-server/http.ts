import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A refusal the dev server answers with. `body` is what Livy would send: `{ msg }` from its own
 * servlets, a bare JSON string where Jackson or Scalatra's error handler answers, or Jetty's
 * HTML error page (the CSRF filter).
 */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly shape: "msg" | "string" | "html" = "msg",
  ) {
    super(message);
  }
}

/** A 2xx answer: status, JSON payload (or none), extra headers. */
export interface Reply {
  status: number;
  payload?: unknown;
  headers?: Record<string, string>;
}

/**
 * Reads a request body up to `limit` bytes. A declared `Content-Length` over the limit is refused
 * before reading; a chunked body is refused as soon as it passes the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) => {
      if (!failed) reject(error);
    });
  });
}

function tooLarge(limit: number): HttpFailure {
  return new HttpFailure(413, `Request body is larger than ${limit} bytes (maxBodyBytes).`);
}

/** Sends a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json;charset=utf-8", ...headers }).end(body);
}

/** Sends a refusal in the shape Livy uses for it. */
export function sendFailure(
  res: ServerResponse,
  failure: HttpFailure,
  path: string,
  headers: Record<string, string> = {},
): void {
  if (failure.shape === "html") {
    const page = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${failure.status} ${escapeHtml(failure.message)}</title>\n</head>\n<body><h2>HTTP ERROR ${failure.status}</h2>\n<p>Problem accessing ${escapeHtml(path)}. Reason:\n<pre>    ${escapeHtml(failure.message)}</pre></p>\n</body>\n</html>\n`;
    res
      .writeHead(failure.status, { "content-type": "text/html;charset=utf-8", ...headers })
      .end(page);
    return;
  }
  sendJson(
    res,
    failure.status,
    failure.shape === "string" ? failure.message : { msg: failure.message },
    headers,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

import { setTimeout as delay } from "node:timers/promises";
import {
  backoffDelay,
  parseRetryAfter,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetry,
} from "../core/retry.js";
import { LivyError, type LivyErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";

/** What an {@link AuthProvider} learns about the request it signs. */
export interface AuthRequest {
  method: string;
  /** Full URL including query. */
  url: string;
  /** JSON body as sent, if any (e.g. to sign a payload hash). */
  body?: string;
}

/**
 * Returns headers to add to one request: a bearer token, a Knox cookie, a SPNEGO `Negotiate`
 * token, a SigV4 signature. Called for every attempt, so short-lived tokens stay fresh.
 */
export type AuthProvider = (
  request: AuthRequest,
) => Record<string, string> | Promise<Record<string, string>>;

/** Transport options shared by {@link LivyClient}. */
export interface LivyHttpOptions {
  /** Base URL of Livy, e.g. `http://emr-master:8998` or a Knox path `https://knox:8443/gateway/default/livy/v1`. */
  url: string | URL;
  /** Headers sent with every request. @defaultValue {} */
  headers?: Record<string, string>;
  /** Per-request headers (auth tokens), called before every attempt. @defaultValue none */
  auth?: AuthProvider;
  /** The fetch implementation. @defaultValue globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Time limit of one attempt, including reading the body. @defaultValue 30000 */
  timeoutMs?: number;
  /**
   * Retry policy for GET and DELETE; `false` disables retries. POST is never retried.
   * @defaultValue 4 retries, 250 ms doubling to 8 s, equal jitter
   */
  retry?: RetryOptions | false;
  /** Receives one debug line per request and a warning per retry. @defaultValue none (silent) */
  logger?: Logger;
  /**
   * Send `X-Requested-By` (required by Livy when `livy.server.csrf-protection.enabled`). `true`
   * sends `X-Requested-By: livy-client`; a string is sent as the header value. @defaultValue true
   */
  csrf?: boolean | string;
  /**
   * Act as this user: sent as Livy's `doAs` query parameter on every request (needs the caller
   * to be a Livy superuser; takes precedence over a request's `proxyUser`). @defaultValue none
   */
  doAs?: string;
  /** Random source for retry jitter, `[0, 1)`. @defaultValue Math.random */
  random?: () => number;
  /** Waits between retries; injectable for tests. @defaultValue timers/promises setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock (epoch milliseconds) for `Retry-After` dates and wait deadlines. @defaultValue Date.now */
  now?: () => number;
}

/** One request to Livy. */
export interface HttpRequest {
  method: "GET" | "POST" | "DELETE";
  /** Path relative to the Livy URL, starting with `/`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/** A successful response. */
export interface HttpResponse<T> {
  status: number;
  data: T;
  /** 1 for the first attempt. */
  attempts: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function statusCode(status: number): LivyErrorCode {
  if (status === 400) return "BAD_REQUEST";
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 429) return "RATE_LIMITED";
  if (status >= 500) return "SERVER_ERROR";
  return "HTTP_ERROR";
}

/** The readable part of an error body: Livy's `{"msg"}`, an HTML page's title/text, or plain text. */
export function summarizeBody(text: string): string {
  const trimmed = text.trim();
  // Jackson's and Scalatra's error answers are a bare JSON string.
  if (trimmed.startsWith('"')) {
    try {
      const message = JSON.parse(trimmed) as unknown;
      if (typeof message === "string") return message;
    } catch {
      // not JSON after all: fall through to text
    }
  }
  if (trimmed.startsWith("{")) {
    try {
      const json = JSON.parse(trimmed) as { msg?: unknown; message?: unknown };
      if (typeof json.msg === "string") return json.msg;
      if (typeof json.message === "string") return json.message;
    } catch {
      // not JSON after all: fall through to text
    }
  }
  if (
    /^<(!doctype|html|head|body|\?xml)/i.test(trimmed) ||
    /<\/(html|body|title|h1|pre)>/i.test(trimmed)
  ) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1]?.trim();
    const text = trimmed
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
      .replace(/<title[^>]*>[\s\S]*?<\/title>/i, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&")
      .replace(/\s+/g, " ")
      .trim();
    const parts = [title, text && text !== title ? text : undefined].filter(Boolean);
    return `HTML page: ${parts.join(" — ").slice(0, 300)}`;
  }
  return trimmed.slice(0, 300);
}

/** The HTTP adapter: one place for URLs, headers, CSRF, auth, timeouts, retries and error mapping. */
export class LivyHttp {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #auth: AuthProvider | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #retry: ResolvedRetryOptions;
  readonly #logger: Logger | undefined;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #doAs: string | undefined;

  constructor(options: LivyHttpOptions) {
    let url: URL;
    try {
      url = new URL(String(options?.url));
    } catch (cause) {
      throw new LivyError(
        "INVALID_URL",
        `Invalid Livy URL ${JSON.stringify(String(options?.url))}: expected an absolute http(s) URL such as http://localhost:8998`,
        { cause },
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new LivyError(
        "INVALID_URL",
        `Invalid Livy URL ${url.href}: the protocol must be http: or https:, not ${url.protocol}`,
      );
    }
    if (url.search || url.hash) {
      throw new LivyError(
        "INVALID_URL",
        `Invalid Livy URL ${url.href}: it must not carry a query or fragment`,
      );
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid timeoutMs: expected a positive number, got ${options.timeoutMs}`,
        {
          field: "timeoutMs",
        },
      );
    }
    checkHeaders("headers", options.headers ?? {});
    const csrf = options.csrf ?? true;
    this.#headers = {
      accept: "application/json",
      ...(csrf ? { "x-requested-by": typeof csrf === "string" ? csrf : "livy-client" } : {}),
      ...lowerKeys(options.headers ?? {}),
    };
    if (typeof csrf === "string") checkHeaders("csrf", { "X-Requested-By": csrf });
    this.#auth = options.auth;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = resolveRetry(options.retry);
    for (const [key, value] of Object.entries(this.#retry)) {
      const integer = key === "retries";
      if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
        throw new LivyError(
          "INVALID_ARGUMENT",
          `Invalid retry.${key}: expected a non-negative ${integer ? "integer" : "number"}, got ${value}`,
          { field: `retry.${key}` },
        );
      }
    }
    this.#logger = options.logger;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.#now = options.now ?? Date.now;
    if (options.doAs !== undefined && (typeof options.doAs !== "string" || options.doAs === "")) {
      throw new LivyError("INVALID_ARGUMENT", "Invalid doAs: expected a non-empty user name", {
        field: "doAs",
      });
    }
    this.#doAs = options.doAs;
  }

  /** Sends a request; GET and DELETE are retried on 5xx, 429, timeouts and connection errors. */
  async request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
    const idempotent = request.method !== "POST";
    const maxAttempts = idempotent ? this.#retry.retries + 1 : 1;
    let url = `${this.baseUrl}${request.path}`;
    const query = this.#doAs === undefined ? request.query : { ...request.query, doAs: this.#doAs };
    if (query && Object.keys(query).length > 0) {
      url += `?${new URLSearchParams(query).toString()}`;
    }
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(request, request.signal);
      try {
        const response = await this.#attempt<T>(request, url, body);
        return { ...response, attempts: attempt };
      } catch (error) {
        if (!(error instanceof LivyError)) throw error;
        // `retryable` excludes an HTML page where JSON was expected (a login or proxy page
        // answers the same again) and POSTs that may have started a job.
        if (!idempotent || !error.retryable || attempt >= maxAttempts) {
          if (attempt > 1) (error as { attempts?: number }).attempts = attempt;
          throw error;
        }
        let wait = backoffDelay(attempt, this.#retry, this.#random);
        if (error.code === "RATE_LIMITED") {
          const retryAfter = (error as LivyError & { retryAfterMs?: number }).retryAfterMs;
          if (retryAfter !== undefined) {
            if (retryAfter > this.#retry.maxRetryAfterMs) throw error;
            wait = Math.max(wait, retryAfter);
          }
        }
        this.#logger?.warn(
          `livy: ${request.method} ${request.path} failed (${error.message}); retry ${attempt}/${maxAttempts - 1} in ${wait} ms`,
        );
        try {
          await this.#sleep(wait, request.signal);
        } catch (cause) {
          throw aborted(request, cause);
        }
      }
    }
  }

  async #attempt<T>(request: HttpRequest, url: string, body: string | undefined) {
    // One timer per attempt, cleared when the attempt ends (AbortSignal.timeout would leave a
    // pending timer behind for every request until it fires).
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error("timeout")), this.#timeoutMs);
    const signal = request.signal
      ? AbortSignal.any([request.signal, timeout.signal])
      : timeout.signal;
    try {
      return await this.#exchange<T>(request, url, body, signal, timeout.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  async #exchange<T>(
    request: HttpRequest,
    url: string,
    body: string | undefined,
    signal: AbortSignal,
    timeout: AbortSignal,
  ): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { ...this.#headers };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#auth) {
      let extra: Record<string, string>;
      try {
        extra = await this.#auth({
          method: request.method,
          url,
          ...(body === undefined ? {} : { body }),
        });
        checkHeaders("auth", extra);
      } catch (cause) {
        if (cause instanceof LivyError) throw cause;
        throw new LivyError(
          "UNAUTHORIZED",
          `The auth provider failed before Livy ${request.method} ${request.path} was sent: ${(cause as Error)?.message ?? cause}`,
          { method: request.method, path: request.path, cause },
        );
      }
      Object.assign(headers, lowerKeys(extra));
    }
    const started = performance.now();
    const where = { method: request.method, path: request.path };
    const failed = (cause: unknown): LivyError => {
      if (request.signal?.aborted) return aborted(request, request.signal.reason ?? cause);
      if (timeout.aborted) {
        return new LivyError(
          "TIMEOUT",
          `Livy ${request.method} ${request.path} took longer than ${this.#timeoutMs} ms`,
          { ...where, cause },
        );
      }
      const reason = describeNetworkError(cause);
      return new LivyError("NETWORK", `Livy ${request.method} ${request.path} failed: ${reason}`, {
        ...where,
        cause,
      });
    };
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        redirect: "manual",
      });
    } catch (cause) {
      throw failed(cause);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw failed(cause);
    }
    this.#logger?.debug(
      `livy: ${request.method} ${request.path} → ${response.status} in ${Math.round(performance.now() - started)} ms`,
    );
    if (response.status < 200 || response.status > 299) {
      const code =
        response.status >= 300 && response.status < 400
          ? "HTTP_ERROR"
          : statusCode(response.status);
      const summary = text ? summarizeBody(text) : response.statusText;
      const hint = HINTS[code] ?? "";
      const error = new LivyError(
        code,
        `Livy ${request.method} ${request.path} answered ${response.status}${summary ? `: ${summary}` : ""}${hint}`,
        { ...where, status: response.status, body: summary },
      );
      if (code === "RATE_LIMITED") {
        const after = parseRetryAfter(response.headers.get("retry-after"), this.#now());
        if (after !== undefined) Object.defineProperty(error, "retryAfterMs", { value: after });
      }
      throw error;
    }
    if (text.trim() === "") return { status: response.status, data: undefined as T };
    try {
      return { status: response.status, data: JSON.parse(text) as T };
    } catch (cause) {
      const type = response.headers.get("content-type") ?? "";
      const summary = summarizeBody(text);
      const what =
        /html/i.test(type) || summary.startsWith("HTML page")
          ? `an HTML page instead of JSON (a proxy or login page in front of Livy?): ${summary}`
          : `a body that is not valid JSON (truncated?): ${JSON.stringify(text.slice(0, 120))}`;
      throw new LivyError(
        "INVALID_RESPONSE",
        `Livy ${request.method} ${request.path} returned ${what}`,
        {
          ...where,
          status: response.status,
          body: summary,
          cause,
        },
      );
    }
  }
}

const HINTS: Partial<Record<LivyErrorCode, string>> = {
  UNAUTHORIZED:
    " (credentials missing or rejected: pass `auth` or `headers`, e.g. a Knox cookie or a SPNEGO Negotiate token)",
  FORBIDDEN: " (authenticated but not allowed: check Livy ACLs and proxyUser impersonation rights)",
};

function aborted(request: HttpRequest, cause: unknown): LivyError {
  return new LivyError("ABORTED", `Livy ${request.method} ${request.path} was aborted`, {
    method: request.method,
    path: request.path,
    cause,
  });
}

function throwIfAborted(request: HttpRequest, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw aborted(request, signal.reason);
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { message?: string; code?: string };
    if (e.code) parts.push(e.code);
    else if (e.message && !parts.includes(e.message)) parts.push(e.message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(": ") || String(error);
}

function checkHeaders(field: string, headers: unknown): void {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw new LivyError(
      "INVALID_ARGUMENT",
      `Invalid ${field}: expected an object of header names to string values`,
      {
        field,
      },
    );
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid ${field}: ${JSON.stringify(name)} is not a valid header name`,
        {
          field: `${field}.${name}`,
        },
      );
    }
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
      throw new LivyError(
        "INVALID_ARGUMENT",
        `Invalid ${field}.${name}: expected a string without line breaks, got ${typeof value === "string" ? "a line break" : typeof value}`,
        { field: `${field}.${name}` },
      );
    }
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  return out;
}

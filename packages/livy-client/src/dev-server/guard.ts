import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { HttpFailure } from "./http.js";

/**
 * Which forged requests the dev server refuses. Every check is on by default: a web page the
 * developer visits can send `text/plain` POSTs without a preflight and, through DNS rebinding,
 * read answers, and the dev server runs any program a batch names.
 */
export interface RequestGuardOptions {
  /**
   * Require an `X-Requested-By` header on every request that is not GET, HEAD or OPTIONS, as
   * Livy does with `livy.server.csrf-protection.enabled` (a page cannot add a custom header to a
   * cross-origin request without a CORS preflight, which the dev server never grants).
   * @defaultValue true
   */
  csrf?: boolean;
  /** Require `Content-Type: application/json` on requests that carry a body. @defaultValue true */
  requireJsonContentType?: boolean;
  /**
   * Refuse requests with an `Origin` header that is not in `allowedOrigins` (the dev server
   * serves no pages, so every browser origin is foreign to it). @defaultValue true
   */
  checkOrigin?: boolean;
  /** Origins allowed despite `checkOrigin`, e.g. `["http://localhost:5173"]`. @defaultValue [] */
  allowedOrigins?: readonly string[];
  /**
   * When bound to a loopback address, accept only loopback `Host` values (`localhost`,
   * `*.localhost`, `127.0.0.0/8`, `[::1]`) plus `allowedHosts`, which defeats DNS rebinding.
   * @defaultValue true
   */
  checkHost?: boolean;
  /** Host names accepted besides loopback ones (without port). @defaultValue [] */
  allowedHosts?: readonly string[];
}

/** Whether an interface address or host name is loopback. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (bare === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped ? mapped[1]!.startsWith("127.") : false;
}

/**
 * The host name of a `Host` header value (`[::1]:8998` → `[::1]`, `a:1` → `a`); only a numeric
 * port is taken off (`localhost:x` stays as it is, and is not a loopback name).
 */
export function hostName(value: string): string {
  if (value.startsWith("[")) return value.slice(0, value.indexOf("]") + 1);
  return value.replace(/:\d+$/, "");
}

/**
 * Checks one request against the guard. Throws the refusal Livy (or a careful dev server) would
 * answer; returns when the request may proceed. `boundToLoopback` says whether the server listens
 * on a loopback interface only.
 */
export function guardRequest(
  method: string,
  headers: IncomingHttpHeaders,
  hasBody: boolean,
  options: RequestGuardOptions,
  boundToLoopback: boolean,
): void {
  const host = headers.host;
  if (options.checkHost !== false && boundToLoopback && host !== undefined) {
    const name = hostName(host).toLowerCase();
    const allowed = (options.allowedHosts ?? []).map((h) => h.toLowerCase());
    if (!isLoopbackHost(name) && !allowed.includes(name)) {
      throw new HttpFailure(
        403,
        `Host "${host}" is not a loopback name; the dev server refuses it (DNS rebinding). Add it to allowedHosts (--allow-host) to accept it.`,
      );
    }
  }
  const origin = headers.origin;
  if (options.checkOrigin !== false && origin !== undefined) {
    if (!(options.allowedOrigins ?? []).includes(origin)) {
      throw new HttpFailure(
        403,
        `Origin "${origin}" is not allowed: the dev server refuses requests from web pages. Add it to allowedOrigins (--allow-origin) to accept it.`,
      );
    }
  }
  const safe = method === "GET" || method === "HEAD" || method === "OPTIONS";
  if (options.csrf !== false && !safe && headers["x-requested-by"] === undefined) {
    throw new HttpFailure(400, "Missing Required Header for CSRF protection.", "html");
  }
  if (options.requireJsonContentType !== false && hasBody) {
    const type = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      throw new HttpFailure(
        415,
        `Unsupported Content-Type ${JSON.stringify(headers["content-type"] ?? "")}: send application/json.`,
      );
    }
  }
}

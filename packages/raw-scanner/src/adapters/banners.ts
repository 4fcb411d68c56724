import net from "node:net";
import tls from "node:tls";
import type { Banner, TlsInfo } from "../core/result.js";

/** Options for {@link grabBanner}. */
export interface BannerOptions {
  /**
   * Milliseconds a grab waits, once connected, for the server's greeting or its answer to our
   * hello (masscan's `--hello-timeout`, in seconds there).
   *
   * @defaultValue 3000
   */
  helloTimeoutMs?: number;
  /**
   * Milliseconds a banner connection may be held open in all, connect included (masscan's
   * `--connection-timeout`, in seconds there).
   *
   * @defaultValue 30_000
   */
  connectionTimeoutMs?: number;
  /**
   * Milliseconds to wait for a server that speaks first before sending an HTTP request.
   *
   * @defaultValue 1000 (never more than `helloTimeoutMs`)
   */
  passiveWaitMs?: number;
  /**
   * Most bytes kept.
   *
   * @defaultValue 4096
   */
  maxBytes?: number;
  /**
   * Host header for HTTP requests (and TLS server name when it is a name).
   *
   * @defaultValue the address
   */
  httpHost?: string;
  /**
   * User-Agent header for HTTP requests (masscan's `--http-user-agent`).
   *
   * @defaultValue `"raw-scan"`
   */
  httpUserAgent?: string;
  /**
   * Bytes to send at once to a port instead of waiting and sending HTTP (masscan's
   * `--hello-string[PORT]`).
   *
   * @defaultValue `{}`
   */
  hellos?: Readonly<Record<number, Uint8Array>>;
  /**
   * Ports tried as TLS first.
   *
   * @defaultValue 443, 465, 636, 853, 993, 995, 8443
   */
  tlsPorts?: readonly number[];
  /**
   * Clock for the banner's `time`, epoch milliseconds.
   *
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Ends the grab at once (it resolves with what it has).
   *
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/** Once a passive banner has started, this much silence ends it (a greeting without a newline). */
const QUIET_MS = 250;

const DEFAULT_TLS_PORTS = [443, 465, 636, 853, 993, 995, 8443];

/** Names the service from what it said, in masscan's vocabulary. */
export function classifyBanner(text: string, port: number): string {
  if (/^SSH-\d/.test(text)) return "ssh";
  if (/^HTTP\/\d/.test(text)) return "http";
  if (/^220[ -]/.test(text)) {
    if (/SMTP|mail/i.test(text) || port === 25 || port === 587 || port === 465) return "smtp";
    if (/FTP/i.test(text) || port === 21) return "ftp";
    return port === 21 ? "ftp" : "smtp";
  }
  if (/^\+OK/.test(text)) return "pop";
  if (/^\* OK/.test(text)) return "imap";
  if (/^RFB \d/.test(text)) return "vnc";
  return "unknown";
}

/**
 * Grabs a banner from an open port, in this order: TLS handshake on TLS ports (certificate
 * facts via node:tls); otherwise connect and wait `passiveWait` for a server that speaks
 * first (SSH, SMTP, FTP…); if it stays silent, send an HTTP/1.0 request with a Host header and
 * keep the response head. Returns undefined when nothing came back. Never throws for network
 * trouble: a banner is a bonus, the port status is already known.
 */
export async function grabBanner(
  address: string,
  port: number,
  options: BannerOptions = {},
): Promise<Banner | undefined> {
  const tlsPorts = options.tlsPorts ?? DEFAULT_TLS_PORTS;
  if (tlsPorts.includes(port)) {
    const t = await grabTls(address, port, options);
    if (t) return t;
  }
  return grabPlain(address, port, options);
}

function grabPlain(address: string, port: number, o: BannerOptions): Promise<Banner | undefined> {
  const maxBytes = o.maxBytes ?? 4096;
  const helloTimeout = o.helloTimeoutMs ?? 3000;
  const passiveWait = Math.min(o.passiveWaitMs ?? 1000, helloTimeout);
  const now = o.now ?? Date.now;
  const hello = o.hellos?.[port];
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let sentHttp = false;
    let finished = false;
    const socket = net.connect({ host: address, port, autoSelectFamily: false });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(overall);
      clearTimeout(passive);
      clearTimeout(helloTimer);
      clearTimeout(quiet);
      o.signal?.removeEventListener("abort", finish);
      socket.destroy();
      if (size === 0) return resolve(undefined);
      let text = Buffer.concat(chunks).subarray(0, maxBytes).toString("latin1");
      if (sentHttp) {
        // Keep the response head: status line and headers, as masscan's http banner does.
        const end = text.indexOf("\r\n\r\n");
        if (end >= 0) text = text.slice(0, end);
      } else {
        text = firstLines(text);
      }
      resolve({ service: classifyBanner(text, port), text, time: new Date(now()) });
    };
    const overall = setTimeout(finish, o.connectionTimeoutMs ?? 30_000);
    let passive: ReturnType<typeof setTimeout> | undefined;
    let helloTimer: ReturnType<typeof setTimeout> | undefined;
    let quiet: ReturnType<typeof setTimeout> | undefined;
    if (o.signal?.aborted) queueMicrotask(finish);
    o.signal?.addEventListener("abort", finish, { once: true });
    socket.once("connect", () => {
      helloTimer = setTimeout(finish, helloTimeout);
      if (hello) {
        socket.write(hello);
        return;
      }
      passive = setTimeout(() => {
        if (size > 0 || finished) return;
        sentHttp = true;
        const host = o.httpHost ?? (address.includes(":") ? `[${address}]` : address);
        socket.write(
          `GET / HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: ${o.httpUserAgent ?? "raw-scan"}\r\nAccept: */*\r\n\r\n`,
        );
      }, passiveWait);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const text = Buffer.concat(chunks).toString("latin1");
      // Stop early once the head is complete, or the byte cap is hit.
      if (
        size >= maxBytes ||
        (sentHttp && text.includes("\r\n\r\n")) ||
        (!sentHttp && /\n/.test(text))
      ) {
        finish();
        return;
      }
      // A greeting without a newline ends after a short silence, not at the hello timeout.
      if (!sentHttp) {
        clearTimeout(quiet);
        quiet = setTimeout(finish, QUIET_MS);
      }
    });
    socket.once("error", finish);
    socket.once("close", finish);
  });
}

/** A passive banner is its first line (with its newline, as masscan keeps it for SMTP). */
function firstLines(text: string): string {
  const nl = text.indexOf("\n");
  if (nl < 0) return text;
  const line = text.slice(0, nl + 1);
  // SSH's identification line ends in CRLF and masscan shows it without.
  return /^SSH-/.test(line) ? line.replace(/\r?\n$/, "") : line;
}

function grabTls(address: string, port: number, o: BannerOptions): Promise<Banner | undefined> {
  const now = o.now ?? Date.now;
  const timeout = Math.min(o.connectionTimeoutMs ?? 30_000, o.helloTimeoutMs ?? 3000);
  return new Promise((resolve) => {
    let finished = false;
    const servername = o.httpHost && !net.isIP(o.httpHost) ? o.httpHost : undefined;
    const socket = tls.connect({
      host: address,
      port,
      // A scanner reports what the server presents; it does not judge trust.
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
    });
    const finish = (banner?: Banner) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(banner);
    };
    const onAbort = () => finish();
    const timer = setTimeout(() => finish(), timeout);
    if (o.signal?.aborted) queueMicrotask(onAbort);
    o.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const protocol = socket.getProtocol() ?? "TLS";
      const cipher = socket.getCipher()?.name ?? "";
      if (!cert || Object.keys(cert).length === 0) {
        finish({ service: "ssl", text: `${protocol} cipher:${cipher}`, time: new Date(now()) });
        return;
      }
      const info: TlsInfo = {
        protocol,
        cipher,
        subject: dn(cert.subject),
        issuer: dn(cert.issuer),
        subjectAltNames: cert.subjectaltname ? cert.subjectaltname.split(/,\s*/) : [],
        validFrom: new Date(cert.valid_from),
        validTo: new Date(cert.valid_to),
        fingerprint256: cert.fingerprint256,
      };
      const text =
        `${protocol} cipher:${cipher}, subject:${info.subject}, issuer:${info.issuer}` +
        (info.subjectAltNames.length ? `, san:${info.subjectAltNames.join(" ")}` : "") +
        `, expires:${info.validTo.toISOString()}`;
      finish({ service: "ssl", text, time: new Date(now()), tls: info });
    });
    socket.once("error", () => finish());
  });
}

function dn(name: tls.Certificate | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
    .join(", ");
}

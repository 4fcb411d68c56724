import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CodepipelineWorkerError } from "../errors.js";
import { AwsChunkedDecoder, AwsChunkedError, isAwsChunked } from "./aws-chunked.js";
import type { IssuedCredentials } from "./state.js";

/** The fixed key pair of the emulator's own (admin) S3 access. */
export const S3_ADMIN_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

interface S3rverInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  logger?: { close(): void; exceptions?: { unhandle(): void } };
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

/** One request the S3 endpoint saw (for checking what a worker sent). */
export interface S3RequestRecord {
  method: string;
  path: string;
  accessKeyId: string | undefined;
  status: number;
  serverSideEncryption: string | undefined;
  kmsKeyId: string | undefined;
}

/** A fault the S3 endpoint answers the next matching requests with (job credentials only). */
export interface S3Fault {
  /** HTTP method to match (`GET`, `PUT`, `POST`, …) or `"*"`. */
  method: string;
  /** HTTP status. @defaultValue 500 */
  status?: number;
  /** S3 error code. @defaultValue `"InternalError"` */
  code?: string;
  /** How many requests fail. @defaultValue 1 */
  count?: number;
  /** Instead of failing, hold each matching request this long, then serve it (a slow S3). @defaultValue 0 */
  delayMs?: number;
}

/** A running S3-compatible server (s3rver) behind a credentials gate. */
export interface S3Server {
  faults: Array<Required<S3Fault>>;
  url: string;
  requests: S3RequestRecord[];
  port: number;
  directory: string;
  close(): Promise<void>;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>emulator</RequestId></Error>`,
  );
}

/**
 * Starts s3rver on loopback behind a gate that plays IAM/STS for the emulator: a request must be
 * signed either with the admin key pair or with artifact credentials the emulator issued for a
 * job; those must carry their session token, be unexpired (else `ExpiredToken`, as S3 answers)
 * and touch only the artifact bucket. s3rver itself does not check SigV4 signatures.
 */
export async function startS3Server(options: {
  port?: number;
  host?: string;
  directory?: string;
  lookup: (accessKeyId: string) => IssuedCredentials | undefined;
  now: () => number;
}): Promise<S3Server> {
  const moduleName = "s3rver";
  const S3rver = ((await import(moduleName)) as { default: S3rverCtor }).default;
  const ownDirectory = options.directory === undefined;
  const directory =
    options.directory ?? (await mkdtemp(join(tmpdir(), "codepipeline-emulator-s3-")));
  const s3rver = new S3rver({
    silent: true,
    directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  });
  const handle = s3rver.callback();
  const requests: S3RequestRecord[] = [];
  const faults: Array<Required<S3Fault>> = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    const url = new URL(req.url ?? "/", "http://localhost");
    const fromHeader = /Credential=([^/,\s]+)\//.exec(auth)?.[1];
    const fromQuery = url.searchParams.get("X-Amz-Credential")?.split("/")[0];
    const accessKeyId = fromHeader ?? fromQuery;
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const record: S3RequestRecord = {
      method: req.method ?? "GET",
      path: url.pathname,
      accessKeyId,
      status: 0,
      serverSideEncryption: header("x-amz-server-side-encryption"),
      kmsKeyId: header("x-amz-server-side-encryption-aws-kms-key-id"),
    };
    requests.push(record);
    if (requests.length > 10_000) requests.shift();
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    const reject = (status: number, code: string, message: string) => {
      req.resume();
      req.on("end", () => s3Error(res, status, code, message));
    };
    if (!accessKeyId) return reject(403, "AccessDenied", "Anonymous access is not allowed.");
    let fault: Required<S3Fault> | undefined;
    if (accessKeyId !== S3_ADMIN_CREDENTIALS.accessKeyId) {
      const issued = options.lookup(accessKeyId);
      if (!issued)
        return reject(
          403,
          "InvalidAccessKeyId",
          "The AWS Access Key Id you provided does not exist in our records.",
        );
      const token =
        req.headers["x-amz-security-token"] ?? url.searchParams.get("X-Amz-Security-Token");
      if (token !== issued.sessionToken)
        return reject(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
      if (options.now() >= issued.expiresAt)
        return reject(400, "ExpiredToken", "The provided token has expired.");
      const bucket = url.pathname.split("/")[1];
      if (bucket !== issued.bucket) return reject(403, "AccessDenied", "Access Denied");
      fault = faults.find((f) => f.count > 0 && (f.method === "*" || f.method === req.method));
      if (fault) {
        fault.count--;
        if (fault.delayMs <= 0) return reject(fault.status, fault.code, "Injected fault");
      }
      // s3rver only knows its own key pair; the request was authorised above.
      if (fromHeader)
        req.headers.authorization = auth.replace(
          `Credential=${accessKeyId}/`,
          `Credential=${S3_ADMIN_CREDENTIALS.accessKeyId}/`,
        );
      else {
        url.searchParams.set(
          "X-Amz-Credential",
          (url.searchParams.get("X-Amz-Credential") ?? "").replace(
            accessKeyId,
            S3_ADMIN_CREDENTIALS.accessKeyId,
          ),
        );
        req.url = `${url.pathname}${url.search}`;
      }
    }
    const serve = () => {
      if (isAwsChunked(req.headers)) void decodeThenHandle(req, res);
      else handle(req, res);
    };
    if (fault && fault.delayMs > 0) setTimeout(serve, fault.delayMs);
    else serve();
  });
  const spool = await mkdtemp(join(tmpdir(), "codepipeline-emulator-chunked-"));
  let spooled = 0;
  /**
   * s3rver does not understand `aws-chunked` (what the SDK sends by default for streamed bodies
   * with flexible checksums): decode the framing into a spool file, verify the trailing checksum,
   * and hand s3rver the plain bytes with the headers a non-chunked upload would have.
   */
  async function decodeThenHandle(req: IncomingMessage, res: ServerResponse) {
    const file = join(spool, `${++spooled}.body`);
    try {
      await pipeline(req, new AwsChunkedDecoder(req.headers), createWriteStream(file));
    } catch (error) {
      await rm(file, { force: true });
      if (error instanceof AwsChunkedError)
        s3Error(res, 400, error.code, error.message.replace(/[<&>]/g, ""));
      else s3Error(res, 400, "IncompleteBody", "The request body could not be read.");
      return;
    }
    const { size } = await stat(file);
    const headers = { ...req.headers };
    const encodings = String(headers["content-encoding"] ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== "" && e.toLowerCase() !== "aws-chunked");
    if (encodings.length > 0) headers["content-encoding"] = encodings.join(", ");
    else delete headers["content-encoding"];
    delete headers["x-amz-decoded-content-length"];
    delete headers["x-amz-trailer"];
    delete headers["transfer-encoding"];
    headers["content-length"] = String(size);
    headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    const body = createReadStream(file);
    const replay = Object.assign(body, {
      headers,
      method: req.method,
      url: req.url,
      socket: req.socket,
      connection: req.socket,
      httpVersion: req.httpVersion,
      httpVersionMajor: req.httpVersionMajor,
      httpVersionMinor: req.httpVersionMinor,
      rawHeaders: req.rawHeaders,
      complete: false,
    }) as unknown as IncomingMessage;
    res.on("close", () => void rm(file, { force: true }));
    handle(replay, res);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
  } catch (cause) {
    await rm(spool, { recursive: true, force: true });
    s3rver.logger?.exceptions?.unhandle();
    s3rver.logger?.close();
    if (ownDirectory) await rm(directory, { recursive: true, force: true });
    throw new CodepipelineWorkerError(
      "EMULATOR_ERROR",
      `The emulator's S3 server cannot listen on ${options.host ?? "127.0.0.1"}:${options.port ?? 0} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}).`,
      { cause },
    );
  }
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    requests,
    faults,
    port,
    directory,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      s3rver.logger?.exceptions?.unhandle();
      s3rver.logger?.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
      await rm(spool, { recursive: true, force: true });
    },
  };
}

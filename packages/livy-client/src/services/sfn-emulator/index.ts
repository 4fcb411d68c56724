// A local AWS Step Functions: the JSON 1.0 protocol the AWS SDK speaks, on loopback, running
// definitions in aws-local-stepfunctions with Lambda Task ARNs bound to in-process handlers.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostName, isLoopbackHost } from "../../dev-server/guard.js";
import { LivyError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { SFN_OPERATIONS, SfnServiceError, SfnStore } from "./api.js";
import type { SfnLambdaHandler, SfnPublishedMessage } from "./execution.js";

export type {
  SfnExecutionStatus,
  SfnHistoryEvent,
  SfnLambdaHandler,
  SfnPublishedMessage,
} from "./execution.js";
export { SFN_LIMITS } from "./limits.js";

/** Options of {@link createSfnEmulator}. */
export interface SfnEmulatorOptions {
  /** Region in the ARNs the emulator hands out. @defaultValue "us-east-1" */
  region?: string;
  /** Account id in the ARNs. @defaultValue "123456789012" */
  accountId?: string;
  /**
   * The Lambda functions Task states may call, by function name or full ARN (a Task's
   * `Resource` ARN, or `FunctionName` of `arn:aws:states:::lambda:invoke`). An unknown one fails
   * the task with `Lambda.ResourceNotFoundException`, as the service does. @defaultValue {}
   */
  lambdaFunctions?: Readonly<Record<string, SfnLambdaHandler>>;
  /** Make every Wait state last this long instead of its `Seconds`/`Timestamp`. @defaultValue the definition's own time */
  waitTimeMs?: number;
  /** Make every Retry interval this long instead of `IntervalSeconds` × `BackoffRate`. @defaultValue the definition's own */
  retryIntervalMs?: number;
  /** Clock (epoch milliseconds) for dates, history and the 90-day name rule. @defaultValue Date.now */
  now?: () => number;
  /** Called for each message an `sns:publish` task sends. @defaultValue none (messages are kept in `published`) */
  onPublish?: (message: SfnPublishedMessage) => void;
  /** Where the emulator logs requests (debug). @defaultValue silent */
  logger?: Logger;
}

/** Where to listen. */
export interface SfnEmulatorListenOptions {
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** A loopback address; anything else is refused (the emulator runs whatever a definition names). @defaultValue "127.0.0.1" */
  host?: string;
}

/** A running emulator. */
export interface RunningSfnEmulator {
  /** The endpoint to give the AWS SDK (`new SFNClient({ endpoint: url })`). */
  url: string;
  port: number;
  region: string;
  accountId: string;
  /** Messages `sns:publish` tasks sent, in order. */
  readonly published: readonly SfnPublishedMessage[];
  /** Stops every running execution and the server. */
  close(): Promise<void>;
}

/** The emulator, configured; `start` listens. */
export interface SfnEmulator {
  start(options?: SfnEmulatorListenOptions): Promise<RunningSfnEmulator>;
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const CONTENT_TYPE = "application/x-amz-json-1.0";

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(text);
}

function refuse(response: ServerResponse, error: SfnServiceError): void {
  send(response, error.status, { __type: error.type, message: error.message });
}

/**
 * Checks that a request can only come from a program, never from a web page: loopback `Host`
 * (DNS rebinding), no `Origin`, the JSON 1.0 content type and `X-Amz-Target` (a page cannot send
 * either cross-origin without a CORS preflight, which the emulator never grants), and a SigV4
 * `Authorization` header as the service requires (its signature is not checked).
 */
function guard(request: IncomingMessage): SfnServiceError | undefined {
  const host = request.headers.host ?? "";
  if (!isLoopbackHost(hostName(host))) {
    return new SfnServiceError(
      "AccessDeniedException",
      `Host "${host}" is not a loopback name; the emulator refuses it (DNS rebinding)`,
      403,
    );
  }
  if (request.headers.origin !== undefined) {
    return new SfnServiceError(
      "AccessDeniedException",
      `Origin "${request.headers.origin}" refused: the emulator does not serve web pages`,
      403,
    );
  }
  if (request.method !== "POST" || (request.url ?? "/") !== "/") {
    return new SfnServiceError(
      "UnknownOperationException",
      `${request.method} ${request.url} is not a Step Functions operation; send POST / with X-Amz-Target`,
      404,
    );
  }
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== CONTENT_TYPE) {
    return new SfnServiceError(
      "UnknownOperationException",
      `Content-Type ${JSON.stringify(request.headers["content-type"] ?? "")} is not ${CONTENT_TYPE}`,
    );
  }
  const authorization = request.headers.authorization;
  if (!authorization) {
    return new SfnServiceError(
      "MissingAuthenticationTokenException",
      "Missing Authentication Token",
      400,
    );
  }
  if (
    !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/states\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(
      authorization,
    )
  ) {
    return new SfnServiceError(
      "IncompleteSignatureException",
      "Authorization header requires a SigV4 signature for the states service",
      400,
    );
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new SfnServiceError("RequestEntityTooLargeException", "Request body is too large", 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A local AWS Step Functions endpoint for the AWS SDK (`@aws-sdk/client-sfn`) and the AWS CLI:
 * CreateStateMachine, UpdateStateMachine, DescribeStateMachine, ListStateMachines,
 * StartExecution, DescribeExecution, GetExecutionHistory, StopExecution and ListExecutions over
 * the JSON 1.0 protocol, with the service's validation, limits and error names. Executions run
 * the definition; Lambda Tasks call `lambdaFunctions` in-process.
 */
export function createSfnEmulator(options: SfnEmulatorOptions = {}): SfnEmulator {
  return {
    async start(listen = {}) {
      const host = listen.host ?? "127.0.0.1";
      if (!isLoopbackHost(host)) {
        throw new LivyError(
          "INVALID_ARGUMENT",
          `Invalid host: the Step Functions emulator listens on loopback only, not ${host}`,
          { field: "host" },
        );
      }
      const region = options.region ?? "us-east-1";
      const accountId = options.accountId ?? "123456789012";
      const published: SfnPublishedMessage[] = [];
      const store = new SfnStore(accountId, {
        region,
        lambdaFunctions: options.lambdaFunctions ?? {},
        waitTimeMs: options.waitTimeMs,
        retryIntervalMs: options.retryIntervalMs,
        now: options.now ?? Date.now,
        onPublish: (message) => {
          published.push(message);
          options.onPublish?.(message);
        },
      });
      const server = createServer((request, response) => {
        void handle(request, response);
      });
      const handle = async (request: IncomingMessage, response: ServerResponse) => {
        const refused = guard(request);
        if (refused) {
          request.resume();
          return refuse(response, refused);
        }
        const target = String(request.headers["x-amz-target"] ?? "");
        const operation = target.startsWith("AWSStepFunctions.")
          ? target.slice("AWSStepFunctions.".length)
          : "";
        try {
          if (!(SFN_OPERATIONS as readonly string[]).includes(operation)) {
            request.resume();
            throw new SfnServiceError(
              "UnknownOperationException",
              `Unknown operation ${JSON.stringify(target)}`,
            );
          }
          const text = await readBody(request);
          let body: unknown;
          try {
            body = text.trim() === "" ? {} : JSON.parse(text);
          } catch {
            throw new SfnServiceError(
              "SerializationException",
              "The request body is not valid JSON",
            );
          }
          if (!body || typeof body !== "object" || Array.isArray(body)) {
            throw new SfnServiceError(
              "SerializationException",
              "The request body must be a JSON object",
            );
          }
          options.logger?.debug(`sfn-emulator: ${operation}`);
          const method = store[operation as (typeof SFN_OPERATIONS)[number]] as (
            r: Record<string, unknown>,
          ) => unknown;
          const result = await method.call(store, body as Record<string, unknown>);
          send(response, 200, result);
        } catch (error) {
          if (error instanceof SfnServiceError) return refuse(response, error);
          options.logger?.error("sfn-emulator: internal failure", error);
          refuse(
            response,
            new SfnServiceError(
              "InternalServerError",
              (error as Error)?.message ?? "internal error",
              500,
            ),
          );
        }
      };
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(listen.port ?? 0, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
      return {
        url,
        port,
        region,
        accountId,
        published,
        async close() {
          for (const execution of store.executions.values())
            execution.stop("Emulator.Closed", "the emulator was closed");
          await Promise.all([...store.executions.values()].map((e) => e.done));
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
        },
      };
    },
  };
}

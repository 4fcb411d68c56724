// The worker thread that runs a dev-server session's JavaScript statements. It is a module of its
// own (built as the `dev-server-worker` entry) and is started by ./worker-launch.ts. Statements
// share one vm context, so variables persist between them as in a REPL.
import { createRequire } from "node:module";
import { join } from "node:path";
import { format, inspect } from "node:util";
import { createContext, runInContext } from "node:vm";
import { parentPort } from "node:worker_threads";

/** A message from the dev server to the worker. */
export type WorkerRequest =
  | { type: "run"; id: number; code: string }
  | { type: "complete"; id: number; code: string; cursor: number };

/** The output of one statement, in Livy's shape. */
export type WorkerOutput =
  | { status: "ok"; execution_count: number; data: Record<string, unknown> }
  | {
      status: "error";
      execution_count: number;
      ename: string;
      evalue: string;
      traceback: string[];
    };

/** A message from the worker to the dev server. */
export type WorkerReply =
  | { type: "result"; id: number; output: WorkerOutput }
  | { type: "completion"; id: number; candidates: string[] };

let captured: string[] | null = null;
const write = (...args: unknown[]): void => {
  const text = format(...args);
  if (captured) captured.push(text);
  else process.stdout.write(`${text}\n`);
};

const sandbox: Record<string, unknown> = {
  console: { log: write, info: write, warn: write, error: write, debug: write },
  // Statements `require` relative to the server's working directory, like a REPL started there.
  require: createRequire(join(process.cwd(), "statement.js")),
  process,
  Buffer,
  URL,
  URLSearchParams,
  TextEncoder,
  TextDecoder,
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  setImmediate,
  structuredClone,
  fetch: globalThis.fetch,
};
sandbox.globalThis = sandbox;
const context = createContext(sandbox);

function jsonable(value: unknown): unknown {
  if (value === null || typeof value !== "object") return undefined;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

// Top-level let/const/class bindings are not properties of the global object, so completion
// remembers the names statements declared.
const declared = new Set<string>();
function remember(code: string): void {
  for (const match of code.matchAll(
    /\b(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g,
  )) {
    declared.add(match[1]!);
  }
}

async function run(code: string): Promise<unknown> {
  const options = { filename: "statement.js" };
  let value: unknown;
  try {
    value = runInContext(code, context, options);
  } catch (error) {
    // Top-level await: run the code in an async function, returning its value when it is a
    // single expression. (Compile errors come from the context's realm: compare by name.)
    if ((error as Error | null)?.name !== "SyntaxError" || !/await/.test(code)) throw error;
    try {
      value = runInContext(`(async () => { return (\n${code}\n); })()`, context, options);
    } catch {
      value = runInContext(`(async () => {\n${code}\n})()`, context, options);
    }
  }
  if (value && typeof (value as PromiseLike<unknown>).then === "function") value = await value;
  return value;
}

/** Runs one statement and returns its output; never throws. */
export async function execute(id: number, code: string): Promise<WorkerOutput> {
  captured = [];
  try {
    const value = await run(code);
    remember(code);
    const lines = value === undefined ? captured : [...captured, inspect(value, { depth: 4 })];
    const data: Record<string, unknown> = { "text/plain": lines.join("\n") };
    const json = jsonable(value);
    if (json !== undefined) data["application/json"] = json;
    return { status: "ok", execution_count: id, data };
  } catch (error) {
    // Errors thrown inside the vm context come from another realm: instanceof Error is false.
    const e =
      error !== null && typeof error === "object" && "message" in error
        ? (error as { name?: unknown; message: unknown; stack?: unknown })
        : { name: "Error", message: String(error), stack: "" };
    return {
      status: "error",
      execution_count: id,
      ename: String(e.name ?? "Error"),
      evalue: String(e.message),
      traceback: String(e.stack ?? "")
        .split("\n")
        .slice(1)
        .map((line) => `${line.trim()}\n`),
    };
  } finally {
    captured = null;
  }
}

/** Completion candidates for the identifier before `cursor`. */
export function complete(code: string, cursor: number): string[] {
  const prefix = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, cursor))?.[0] ?? "";
  const globals = runInContext("Object.getOwnPropertyNames(globalThis)", context) as string[];
  const names = new Set([...declared, ...Object.getOwnPropertyNames(sandbox), ...globals]);
  return [...names].filter((name) => name.startsWith(prefix) && name !== prefix).sort();
}

const port = parentPort;
if (port) {
  port.on("message", async (message: WorkerRequest) => {
    if (message.type === "complete") {
      const reply: WorkerReply = {
        type: "completion",
        id: message.id,
        candidates: complete(message.code, message.cursor),
      };
      port.postMessage(reply);
      return;
    }
    if (message.type !== "run") return;
    const reply: WorkerReply = {
      type: "result",
      id: message.id,
      output: await execute(message.id, message.code),
    };
    port.postMessage(reply);
  });
}

// Source of the worker that runs a dev-server session's JavaScript statements. It is kept as a
// string and started with `new Worker(source, { eval: true })`, so it works the same from the
// TypeScript sources, the ESM build and the CJS build without locating a separate file.
// Statements share one vm context, so variables persist between them as in a REPL.
export const WORKER_SOURCE = String.raw`
const { parentPort } = require("node:worker_threads");
const vm = require("node:vm");
const util = require("node:util");

let captured = null;
const write = (...args) => {
  const text = util.format(...args);
  if (captured) captured.push(text);
  else process.stdout.write(text + "\n");
};
const sandbox = {
  console: { log: write, info: write, warn: write, error: write, debug: write },
  require,
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
const context = vm.createContext(sandbox);

function jsonable(value) {
  if (value === null || typeof value !== "object") return undefined;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

// Top-level let/const/class bindings are not properties of the global object, so completion
// remembers the names statements declared.
const declared = new Set();
function remember(code) {
  for (const match of code.matchAll(/\b(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g)) {
    declared.add(match[1]);
  }
}

async function run(code) {
  let value;
  try {
    value = vm.runInContext(code, context, { filename: "statement.js" });
  } catch (error) {
    // Top-level await: run the code in an async function, returning its value when it is a
    // single expression. (Compile errors come from the context's realm: compare by name.)
    if (error?.name !== "SyntaxError" || !/await/.test(code)) throw error;
    try {
      value = vm.runInContext("(async () => { return (\n" + code + "\n); })()", context, { filename: "statement.js" });
    } catch {
      value = vm.runInContext("(async () => {\n" + code + "\n})()", context, { filename: "statement.js" });
    }
  }
  if (value && typeof value.then === "function") value = await value;
  return value;
}

parentPort.on("message", async (message) => {
  if (message.type === "complete") {
    const prefix = /[A-Za-z_$][\w$]*$/.exec(message.code.slice(0, message.cursor))?.[0] ?? "";
    const names = [...declared].concat(Object.getOwnPropertyNames(sandbox)).concat(
      vm.runInContext("Object.getOwnPropertyNames(globalThis)", context),
    );
    const candidates = [...new Set(names)].filter((n) => n.startsWith(prefix) && n !== prefix).sort();
    parentPort.postMessage({ type: "completion", id: message.id, candidates });
    return;
  }
  if (message.type !== "run") return;
  captured = [];
  let output;
  try {
    const value = await run(message.code);
    remember(message.code);
    const text = captured.concat(value === undefined ? [] : [util.inspect(value, { depth: 4 })]).join("\n");
    const data = { "text/plain": text };
    const json = jsonable(value);
    if (json !== undefined) data["application/json"] = json;
    output = { status: "ok", execution_count: message.id, data };
  } catch (error) {
    // Errors thrown inside the vm context come from another realm: instanceof Error is false.
    const e =
      error !== null && typeof error === "object" && "message" in error
        ? error
        : { name: "Error", message: String(error), stack: "" };
    output = {
      status: "error",
      execution_count: message.id,
      ename: String(e.name ?? "Error"),
      evalue: String(e.message),
      traceback: String(e.stack ?? "").split("\n").slice(1).map((line) => line.trim() + "\n"),
    };
  } finally {
    captured = null;
  }
  parentPort.postMessage({ type: "result", id: message.id, output });
});
`;

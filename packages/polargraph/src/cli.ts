import { runCli } from "./cli/run.js";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted")));
runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`polargraph: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

#!/usr/bin/env node
// `livy`: submit, status, logs, kill, list, serve. Thin: parses argv, calls the public API, prints.
// Exit codes: 0 ok / batch succeeded, 1 batch failed (dead, error, killed), 2 bad usage or
// argument, 3 timeout, 4 any other error (network, HTTP, not found).
import { readFile } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createLivyDevServer } from "./dev-server/index.js";
import {
  type Batch,
  type CreateBatchRequest,
  isTerminalBatchState,
  LivyClient,
  LivyError,
} from "./index.js";
import {
  definePipeline,
  type Pipeline,
  type PipelineDefinition,
  runPipeline,
  toStateMachine,
} from "./pipeline/index.js";
import {
  deployPipeline,
  type PipelineExecutionStatus,
  pipelineExecutionStatus,
  startPipeline,
  waitForPipelineExecution,
} from "./sfn/index.js";

const USAGE = `Usage: livy <command> [options]

Commands:
  submit <file> [-- args...]
                            submit a batch; job arguments that start with "-" go after "--"
                            (livy submit etl.py --name etl -- --day 2024-06-01) (--name, --class, --conf k=v, --jars a,b, --py-files,
                            --files, --archives, --driver-memory, --driver-cores, --executor-memory,
                            --executor-cores, --num-executors, --queue, --proxy-user, --reattach,
                            --wait, --follow-logs, --timeout <s>, --kill-on-timeout)
  status <id>               print a batch's state (--json for the whole batch)
  logs <id>                 print a batch's log (--from, --size, --follow until it finishes)
  kill <id>                 delete (kill) a batch
  list                      list batches (--from, --size, --json)
  serve                     run the Livy-compatible dev server (--port 8998, --host 127.0.0.1,
                            --max-sessions, --retain-sec, --cwd, --log-layout interleaved|sections,
                            --max-body-bytes 1048576, --allow-origin <origin>, --allow-host <name>).
                            It runs any program a request names, so it refuses what a web page
                            could forge; each check can be turned off deliberately:
                            --no-csrf (X-Requested-By), --no-content-type-check,
                            --no-origin-check, --no-host-check. A --host other than loopback
                            prints a warning.
  version                   print the server's Livy version
  pipeline run <file>       run a pipeline (a .json definition, or a module whose default export is
                            one) on Livy, with live progress and a report per job (--input k=v,
                            --max-parallel N, --execution NAME, --json); exit 1 if it fails
  pipeline asl <file>       print its Amazon States Language definition (--submit-arn, --status-arn)
  pipeline deploy <file>    create or update its Step Functions state machine (--role-arn,
                            --submit-arn, --status-arn); prints created, updated or unchanged
  pipeline start <file>     start an execution (--input '{"day":"2024-06-01"}' or --input k=v,
                            --execution NAME, default: a name derived from the input; --follow)
  pipeline status <file>    an execution's state and each job's (--execution NAME, default the
                            latest; --follow until it ends; --json); exit 1 if it failed
                            AWS: region, credentials and endpoint come from the standard AWS
                            environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_SFN, …) or
                            --region and --endpoint (e.g. a local Step Functions emulator)

Common options:
  --url <url>               Livy URL (default: $LIVY_URL, then http://localhost:8998)
  --header 'Name: value'    extra request header, repeatable (e.g. an auth token)
  --no-csrf                 do not send X-Requested-By (serve: do not require it)
  --poll <ms>               poll interval while waiting (default 1000)
  -h, --help                this help

Exit codes: 0 success, 1 batch failed, 2 bad usage, 3 timeout, 4 other error.`;

const options = {
  url: { type: "string" },
  header: { type: "string", multiple: true },
  "no-csrf": { type: "boolean" },
  poll: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  // submit
  name: { type: "string" },
  class: { type: "string" },
  conf: { type: "string", multiple: true },
  jars: { type: "string" },
  "py-files": { type: "string" },
  files: { type: "string" },
  archives: { type: "string" },
  "driver-memory": { type: "string" },
  "driver-cores": { type: "string" },
  "executor-memory": { type: "string" },
  "executor-cores": { type: "string" },
  "num-executors": { type: "string" },
  queue: { type: "string" },
  "proxy-user": { type: "string" },
  reattach: { type: "boolean" },
  wait: { type: "boolean" },
  "follow-logs": { type: "boolean" },
  timeout: { type: "string" },
  "kill-on-timeout": { type: "boolean" },
  // logs / list
  from: { type: "string" },
  size: { type: "string" },
  follow: { type: "boolean", short: "f" },
  // serve
  port: { type: "string" },
  host: { type: "string" },
  "no-content-type-check": { type: "boolean" },
  "no-origin-check": { type: "boolean" },
  "no-host-check": { type: "boolean" },
  "allow-origin": { type: "string", multiple: true },
  "allow-host": { type: "string", multiple: true },
  "max-body-bytes": { type: "string" },
  "max-sessions": { type: "string" },
  "retain-sec": { type: "string" },
  cwd: { type: "string" },
  "log-layout": { type: "string" },
  // pipeline
  input: { type: "string", multiple: true },
  "max-parallel": { type: "string" },
  execution: { type: "string" },
  "submit-arn": { type: "string" },
  "status-arn": { type: "string" },
  "role-arn": { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
} as const;

class UsageError extends Error {}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${flag} expects a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").filter(Boolean);
}

function stamp(started: number): string {
  return `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === "serve") return serve(values);

  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const at = header.indexOf(":");
    if (at <= 0)
      throw new UsageError(`--header expects 'Name: value', got ${JSON.stringify(header)}`);
    headers[header.slice(0, at).trim()] = header.slice(at + 1).trim();
  }
  const client = new LivyClient({
    // An empty LIVY_URL counts as unset.
    url: values.url || process.env.LIVY_URL || "http://localhost:8998",
    headers,
    csrf: !values["no-csrf"],
  });
  const pollIntervalMs = int(values.poll, "poll") ?? 1000;
  if (command === "pipeline") return pipelineCommand(client, rest, values);
  const id = (): number => {
    const raw = rest[0];
    if (raw === undefined || !/^\d+$/.test(raw))
      throw new UsageError(`${command} expects a batch id, got ${JSON.stringify(raw ?? "")}`);
    return Number(raw);
  };
  const print = (batch: Batch) => {
    if (values.json) process.stdout.write(`${JSON.stringify(batch, null, 2)}\n`);
    else
      process.stdout.write(
        `${batch.id}\t${batch.state}\t${batch.name ?? ""}\t${batch.appId ?? ""}\n`,
      );
  };

  switch (command) {
    case "submit": {
      const [file, ...args] = rest;
      if (!file) throw new UsageError("submit expects the application file");
      const conf: Record<string, string> = {};
      for (const pair of values.conf ?? []) {
        const at = pair.indexOf("=");
        if (at <= 0) throw new UsageError(`--conf expects key=value, got ${JSON.stringify(pair)}`);
        conf[pair.slice(0, at)] = pair.slice(at + 1);
      }
      const request: CreateBatchRequest = {
        file,
        args: args.length ? args : undefined,
        name: values.name,
        className: values.class,
        conf: Object.keys(conf).length ? conf : undefined,
        jars: list(values.jars),
        pyFiles: list(values["py-files"]),
        files: list(values.files),
        archives: list(values.archives),
        driverMemory: values["driver-memory"],
        driverCores: int(values["driver-cores"], "driver-cores"),
        executorMemory: values["executor-memory"],
        executorCores: int(values["executor-cores"], "executor-cores"),
        numExecutors: int(values["num-executors"], "num-executors"),
        queue: values.queue,
        proxyUser: values["proxy-user"],
      };
      const started = Date.now();
      const batch = await client.submitBatch(request, { reattach: Boolean(values.reattach) });
      process.stderr.write(`${stamp(started)} batch ${batch.id} submitted (${batch.state})\n`);
      if (!values.wait && !values["follow-logs"]) {
        print(batch);
        return 0;
      }
      return follow(
        client,
        batch.id,
        started,
        values,
        pollIntervalMs,
        Boolean(values["follow-logs"]),
        print,
      );
    }
    case "status": {
      const batch = await client.getBatch(id());
      print(batch);
      return batch.state === "dead" || batch.state === "error" || batch.state === "killed" ? 1 : 0;
    }
    case "logs": {
      const batchId = id();
      if (values.follow)
        return follow(client, batchId, Date.now(), values, pollIntervalMs, true, () => {});
      const from = int(values.from, "from");
      const size = int(values.size, "size");
      const log = await client.getBatchLog(batchId, {
        ...(from !== undefined ? { from } : {}),
        ...(size !== undefined ? { size } : {}),
      });
      for (const line of log.log) process.stdout.write(`${line}\n`);
      return 0;
    }
    case "kill": {
      const result = await client.deleteBatch(id());
      process.stdout.write(`${result.msg}\n`);
      return 0;
    }
    case "list": {
      const from = int(values.from, "from");
      const size = int(values.size, "size");
      const page = await client.listBatches({
        ...(from !== undefined ? { from } : {}),
        ...(size !== undefined ? { size } : {}),
      });
      if (values.json) process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      else for (const batch of page.sessions) print(batch);
      return 0;
    }
    case "version": {
      const version = await client.version();
      process.stdout.write(`${version.version}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function follow(
  client: LivyClient,
  id: number,
  started: number,
  values: { timeout?: string; "kill-on-timeout"?: boolean },
  pollIntervalMs: number,
  logs: boolean,
  print: (batch: Batch) => void,
): Promise<number> {
  const timeout = int(values.timeout, "timeout");
  const batch = await client.waitForBatch(id, {
    pollIntervalMs,
    backoff: 1,
    ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
    killOnTimeout: Boolean(values["kill-on-timeout"]),
    onState: (state, _batch, previous) =>
      process.stderr.write(
        `${stamp(started)} batch ${id}: ${previous ? `${previous} → ` : ""}${state}\n`,
      ),
    ...(logs
      ? { onLog: (lines: string[]) => process.stdout.write(lines.map((l) => `${l}\n`).join("")) }
      : {}),
    onLogGap: () =>
      process.stderr.write(`${stamp(started)} (the server dropped log lines between two polls)\n`),
  });
  print(batch);
  process.stderr.write(`${stamp(started)} batch ${id} finished: ${batch.state}\n`);
  return isTerminalBatchState(batch.state) && batch.state === "success" ? 0 : 1;
}

async function loadPipeline(file: string | undefined): Promise<Pipeline> {
  if (!file) throw new UsageError("pipeline expects a pipeline file (.json, or a module)");
  const path = resolvePath(file);
  let definition: unknown;
  if (path.endsWith(".json")) {
    definition = JSON.parse(await readFile(path, "utf8"));
  } else {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    definition = module.default;
  }
  if (
    definition &&
    typeof definition === "object" &&
    Array.isArray((definition as Pipeline).jobs)
  ) {
    return definition as Pipeline; // already defined with definePipeline
  }
  return definePipeline(definition as PipelineDefinition);
}

async function pipelineCommand(
  client: LivyClient,
  rest: string[],
  values: {
    input?: string[];
    "max-parallel"?: string;
    execution?: string;
    json?: boolean;
    poll?: string;
    "submit-arn"?: string;
    "status-arn"?: string;
    "role-arn"?: string;
    endpoint?: string;
    region?: string;
    follow?: boolean;
  },
): Promise<number> {
  const [action, file] = rest;
  if (action === "deploy" || action === "start" || action === "status") {
    return stepFunctionsCommand(action, await loadPipeline(file), values);
  }
  if (action === "asl") {
    const pipeline = await loadPipeline(file);
    const submitFunctionArn = values["submit-arn"];
    const statusFunctionArn = values["status-arn"];
    if (!submitFunctionArn || !statusFunctionArn) {
      throw new UsageError(
        "pipeline asl needs --submit-arn and --status-arn (Lambda function ARNs)",
      );
    }
    // Validated (ARNs and paths included): what this prints is a definition AWS accepts.
    const definition = toStateMachine(pipeline, {
      submitFunctionArn,
      statusFunctionArn,
      validate: true,
    });
    process.stdout.write(`${JSON.stringify(definition, null, 2)}\n`);
    return 0;
  }
  if (action !== "run") {
    throw new UsageError(
      `unknown pipeline command ${JSON.stringify(action ?? "")} (run, asl, deploy, start, status)`,
    );
  }
  const pipeline = await loadPipeline(file);
  const input: Record<string, string> = {};
  for (const pair of values.input ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--input expects key=value, got ${JSON.stringify(pair)}`);
    input[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const maxParallel = int(values["max-parallel"], "max-parallel");
  const poll = int(values.poll, "poll");
  const started = Date.now();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const report = await runPipeline(pipeline, {
      livy: client,
      input,
      signal: controller.signal,
      ...(maxParallel !== undefined ? { maxParallel } : {}),
      ...(poll !== undefined ? { pollIntervalMs: poll } : {}),
      ...(values.execution ? { execution: values.execution } : {}),
      onProgress: (event) => {
        const line =
          event.type === "job-submitted"
            ? `${event.job}: batch ${event.batchId} submitted (attempt ${event.attempt})`
            : event.type === "job-state"
              ? `${event.job}: ${event.state}`
              : event.type === "job-retry"
                ? `${event.job}: retrying (attempt ${event.attempt}) after: ${event.reason.split("\n")[0]}`
                : event.type === "job-finished"
                  ? `${event.job}: ${event.report.state}${event.report.reason ? ` (${event.report.reason.split("\n")[0]})` : ""}`
                  : undefined;
        if (line) process.stderr.write(`${stamp(started)} ${line}\n`);
      },
    });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(
        `pipeline ${report.pipeline} (execution ${report.execution}): ${report.status}\n`,
      );
      for (const [name, job] of Object.entries(report.jobs)) {
        process.stdout.write(
          `${name}\t${job.state}\tattempts ${job.attempts}\tbatch ${job.batchId ?? "-"}\t${(job.durationMs / 1000).toFixed(1)} s\n`,
        );
      }
    }
    return report.status === "succeeded" ? 0 : 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function parseInput(pairs: string[] | undefined): Record<string, string> {
  const input: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    if (pair.trimStart().startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(pair);
      } catch (error) {
        throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`);
      }
      for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof value !== "string") {
          throw new UsageError(`--input ${key} must be a string, got ${JSON.stringify(value)}`);
        }
        input[key] = value;
      }
      continue;
    }
    const at = pair.indexOf("=");
    if (at <= 0)
      throw new UsageError(`--input expects JSON or key=value, got ${JSON.stringify(pair)}`);
    input[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return input;
}

function printExecution(status: PipelineExecutionStatus, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  process.stdout.write(`execution ${status.name}: ${status.status}\n`);
  for (const [name, job] of Object.entries(status.jobs)) {
    process.stdout.write(
      `${name}\t${job.state}\tattempts ${job.attempts}\tbatch ${job.batchId ?? "-"}${job.batchState ? ` (${job.batchState})` : ""}${job.reason ? `\t${job.reason}` : ""}\n`,
    );
  }
  if (status.failedJob) {
    process.stdout.write(
      `failed job: ${status.failedJob} (${status.jobs[status.failedJob]?.reason})\n`,
    );
  } else if (status.error) {
    process.stdout.write(`error: ${status.error}${status.cause ? `: ${status.cause}` : ""}\n`);
  }
}

async function stepFunctionsCommand(
  action: "deploy" | "start" | "status",
  pipeline: Pipeline,
  values: {
    input?: string[];
    execution?: string;
    json?: boolean;
    poll?: string;
    follow?: boolean;
    "submit-arn"?: string;
    "status-arn"?: string;
    "role-arn"?: string;
    endpoint?: string;
    region?: string;
  },
): Promise<number> {
  const { SFNClient } = await import("@aws-sdk/client-sfn");
  const region =
    values.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
  if (!region && !values.endpoint) {
    throw new UsageError("Step Functions needs a region: set AWS_REGION or pass --region");
  }
  const client = new SFNClient({
    region: region ?? "us-east-1",
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    if (action === "deploy") {
      const roleArn = values["role-arn"];
      const submitFunctionArn = values["submit-arn"];
      const statusFunctionArn = values["status-arn"];
      if (!roleArn || !submitFunctionArn || !statusFunctionArn) {
        throw new UsageError("pipeline deploy needs --role-arn, --submit-arn and --status-arn");
      }
      const result = await deployPipeline(pipeline, {
        client,
        roleArn,
        submitFunctionArn,
        statusFunctionArn,
        signal: controller.signal,
      });
      process.stdout.write(`${result.action}\t${result.stateMachineArn}\n`);
      return 0;
    }
    const pollIntervalMs = int(values.poll, "poll") ?? 2000;
    const started = Date.now();
    const follow = (execution: string) =>
      waitForPipelineExecution(pipeline, {
        client,
        execution,
        pollIntervalMs,
        signal: controller.signal,
        onProgress: (status) => {
          const jobs = Object.entries(status.jobs)
            .map(([name, job]) => `${name} ${job.state}`)
            .join(", ");
          process.stderr.write(`${stamp(started)} ${status.status}: ${jobs}\n`);
        },
      });
    let status: PipelineExecutionStatus;
    if (action === "start") {
      const execution = await startPipeline(pipeline, {
        client,
        input: parseInput(values.input),
        ...(values.execution ? { name: values.execution } : {}),
        signal: controller.signal,
      });
      process.stdout.write(`${execution.executionArn}\n`);
      if (!values.follow) return 0;
      status = await follow(execution.name);
    } else {
      status = values.follow
        ? await follow(values.execution ?? "")
        : await pipelineExecutionStatus(pipeline, {
            client,
            ...(values.execution ? { execution: values.execution } : {}),
            signal: controller.signal,
          });
    }
    printExecution(status, values.json);
    return status.status === "SUCCEEDED" || status.status === "RUNNING" ? 0 : 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    client.destroy();
  }
}

async function serve(
  values: Record<string, string | boolean | string[] | undefined>,
): Promise<number> {
  const retain = int(values["retain-sec"] as string | undefined, "retain-sec");
  const layout = values["log-layout"] ?? "interleaved";
  if (layout !== "interleaved" && layout !== "sections") {
    throw new UsageError(
      `--log-layout expects interleaved or sections, got ${JSON.stringify(layout)}`,
    );
  }
  const maxBody = int(values["max-body-bytes"] as string | undefined, "max-body-bytes");
  const server = createLivyDevServer({
    csrf: !values["no-csrf"],
    requireJsonContentType: !values["no-content-type-check"],
    checkOrigin: !values["no-origin-check"],
    checkHost: !values["no-host-check"],
    allowedOrigins: (values["allow-origin"] as string[] | undefined) ?? [],
    allowedHosts: (values["allow-host"] as string[] | undefined) ?? [],
    ...(maxBody !== undefined ? { maxBodyBytes: maxBody } : {}),
    logger: {
      debug: () => {},
      info: () => {},
      warn: (...args) => process.stderr.write(`livy: warning: ${args.join(" ")}\n`),
      error: (...args) => process.stderr.write(`livy: ${args.join(" ")}\n`),
    },
    ...(values["max-sessions"] !== undefined
      ? { maxSessions: int(values["max-sessions"] as string, "max-sessions") }
      : {}),
    ...(retain !== undefined
      ? { batchStateRetainMs: retain * 1000, sessionStateRetainMs: retain * 1000 }
      : {}),
    ...(typeof values.cwd === "string" ? { cwd: values.cwd } : {}),
    logLayout: layout,
  });
  const running = await server.start({
    port: int(values.port as string | undefined, "port") ?? 8998,
    host: (values.host as string | undefined) ?? "127.0.0.1",
  });
  process.stdout.write(`Livy dev server listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith?.("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`livy: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (error instanceof LivyError) {
      process.stderr.write(`livy: ${error.message}\n`);
      process.exitCode =
        error.code === "BATCH_FAILED"
          ? 1
          : error.code === "TIMEOUT"
            ? 3
            : ["INVALID_ARGUMENT", "INVALID_URL", "INVALID_PIPELINE"].includes(error.code)
              ? 2
              : 4;
    } else {
      process.stderr.write(`livy: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 4;
    }
  },
);

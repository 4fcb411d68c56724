#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { isLoopback, startEmulator } from "./emulator/index.js";
import {
  type ActionDefinition,
  CodepipelineWorkerError,
  createWorker,
  isActionDefinition,
  type Logger,
  registerActionType,
} from "./index.js";

const USAGE = `Usage: codepipeline-worker <command> [options]

Commands:
  register <module>   Register the action exported by <module> as a custom action type
                      (idempotent; reports every difference if another definition exists).
  run <module>        Poll for and process the action's jobs until SIGTERM/SIGINT.
  emulate             Start the local CodePipeline emulator (with its S3 server) until SIGTERM/SIGINT.

<module> is a JavaScript module whose default export (or export named "action") is the
result of defineAction(). Run TypeScript modules through tsx: npx tsx $(which codepipeline-worker) …

Options for register and run:
  --region <region>          AWS region (default: the SDK's: AWS_REGION, profile)
  --endpoint <url>           CodePipeline endpoint (e.g. the emulator's); env CODEPIPELINE_ENDPOINT
  --tag <key=value>          register: tag the new action type (repeatable)

Options for run:
  --concurrency <n>          jobs at once (default 1)
  --max-batch-size <n>       jobs asked for per poll (default: concurrency)
  --poll-interval <ms>       first wait after an empty poll (default 1000)
  --max-poll-interval <ms>   longest wait when idle or throttled (default 30000)
  --query <name=value>       only jobs whose queryable property has this value
  --job-timeout <ms>         fail a handler running longer (default 3000000)
  --shutdown-timeout <ms>    on SIGTERM, time running jobs get to finish (default 30000)
  --s3-endpoint <url>        S3-compatible endpoint for artifacts (path-style); env CODEPIPELINE_S3_ENDPOINT
  --work-root <dir>          parent of the per-job temp folders (default: the OS temp dir)
  --register                 register the action type before polling
  --verbose                  debug logging

Options for emulate:
  --port <n>                 CodePipeline port (default 0: any free port)
  --s3-port <n>              S3 port (default 0)
  --host <addr>              loopback address to listen on (default 127.0.0.1)
  --unsafe-expose            allow a non-loopback --host (the control API returns secret values)
  --region <region>          (default us-east-1)
  --account-id <id>          (default 111111111111)
  --job-timeout <ms>         acknowledged jobs without a result time out after this (default 3600000)
  --ack-timeout <ms>         unacknowledged jobs are handed out again after this (default 60000)

  -h, --help                 show this help
  -v, --version              show the version`;

function stderrLogger(verbose: boolean): Logger {
  const line = (level: string, args: unknown[]) =>
    process.stderr.write(
      `${new Date().toISOString()} ${level} ${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`,
    );
  return {
    debug: (...a) => verbose && line("DEBUG", a),
    info: (...a) => line("INFO", a),
    warn: (...a) => line("WARN", a),
    error: (...a) => line("ERROR", a),
  };
}

function usageError(message: string): never {
  throw new CodepipelineWorkerError("INVALID_ARGUMENT", `${message}\n\n${USAGE}`);
}

function int(
  value: string | undefined,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    usageError(
      `--${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`} (got ${JSON.stringify(value)})`,
    );
  return n;
}

function pairs(values: string[] | undefined, name: string): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  return Object.fromEntries(
    values.map((v) => {
      const i = v.indexOf("=");
      if (i < 1) usageError(`--${name} takes name=value (got ${JSON.stringify(v)})`);
      return [v.slice(0, i), v.slice(i + 1)];
    }),
  );
}

/** Loads the action a module exports (default, `action`, or its only action export). */
async function loadAction(path: string): Promise<ActionDefinition<unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `Could not load ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const candidates = [mod.default, mod.action, ...Object.values(mod)].filter(isActionDefinition);
  const found = candidates[0];
  if (!found) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `${path} exports no action: export the result of defineAction() as default or as "action".`,
    );
  }
  return found;
}

function clientFor(values: {
  region?: string | undefined;
  endpoint?: string | undefined;
}): CodePipelineClient {
  const endpoint = values.endpoint ?? process.env.CODEPIPELINE_ENDPOINT;
  return new CodePipelineClient({
    ...(values.region ? { region: values.region } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
}

function onceSignalled(): Promise<NodeJS.Signals> {
  return new Promise((res) => {
    const handler = (signal: NodeJS.Signals) => {
      process.removeListener("SIGINT", handler);
      process.removeListener("SIGTERM", handler);
      res(signal);
    };
    process.once("SIGINT", handler);
    process.once("SIGTERM", handler);
  });
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      region: { type: "string" },
      endpoint: { type: "string" },
      tag: { type: "string", multiple: true },
      concurrency: { type: "string" },
      "max-batch-size": { type: "string" },
      "poll-interval": { type: "string" },
      "max-poll-interval": { type: "string" },
      query: { type: "string", multiple: true },
      "job-timeout": { type: "string" },
      "shutdown-timeout": { type: "string" },
      "s3-endpoint": { type: "string" },
      "work-root": { type: "string" },
      register: { type: "boolean" },
      verbose: { type: "boolean" },
      port: { type: "string" },
      "s3-port": { type: "string" },
      host: { type: "string" },
      "account-id": { type: "string" },
      "ack-timeout": { type: "string" },
      "unsafe-expose": { type: "boolean" },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const [command, modulePath, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) usageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const logger = stderrLogger(values.verbose ?? false);

  if (command === "register" || command === "run") {
    if (!modulePath) usageError(`${command} needs the module that exports the action`);
    const action = await loadAction(modulePath);
    const client = clientFor(values);
    try {
      if (command === "register" || values.register) {
        const tags = pairs(values.tag, "tag");
        const result = await registerActionType(action, { client, ...(tags ? { tags } : {}) });
        const id = action.actionTypeId;
        process.stdout.write(
          `${JSON.stringify({ status: result.status, actionTypeId: { ...id } })}\n`,
        );
        if (command === "register") return 0;
      }
      const s3Endpoint = values["s3-endpoint"] ?? process.env.CODEPIPELINE_S3_ENDPOINT;
      const queryParam = pairs(values.query, "query");
      const worker = createWorker(action, {
        client,
        logger,
        shutdownSignals: ["SIGTERM", "SIGINT"],
        ...(s3Endpoint
          ? {
              s3: { endpoint: s3Endpoint, forcePathStyle: true },
            }
          : {}),
        ...(queryParam ? { queryParam } : {}),
        ...(values["work-root"] ? { workRoot: values["work-root"] } : {}),
        ...definedNumbers({
          concurrency: int(values.concurrency, "concurrency", 1),
          maxBatchSize: int(values["max-batch-size"], "max-batch-size", 1),
          pollIntervalMs: int(values["poll-interval"], "poll-interval", 1),
          maxPollIntervalMs: int(values["max-poll-interval"], "max-poll-interval", 1),
          jobTimeoutMs: int(values["job-timeout"], "job-timeout", 1),
          shutdownTimeoutMs: int(values["shutdown-timeout"], "shutdown-timeout", 0),
        }),
      });
      const { category, provider, version } = action.actionTypeId;
      logger.info(`polling for ${category}/Custom/${provider}/${version} jobs`);
      const stats = await worker.run();
      logger.info(`stopped: ${JSON.stringify(stats)}`);
      return 0;
    } finally {
      client.destroy();
    }
  }

  if (command === "emulate") {
    if (modulePath) usageError(`emulate takes no module (got ${JSON.stringify(modulePath)})`);
    if (values.host !== undefined && !isLoopback(values.host) && !values["unsafe-expose"]) {
      usageError(
        `--host ${values.host} is not a loopback address. The emulator's control API hands out job data with secret configuration values and takes jobs from anyone who can reach it; add --unsafe-expose if you really mean to serve it beyond this machine.`,
      );
    }
    const emulator = await startEmulator({
      ...definedNumbers({
        port: int(values.port, "port", 0, 65_535),
        s3Port: int(values["s3-port"], "s3-port", 0, 65_535),
        jobTimeoutMs: int(values["job-timeout"], "job-timeout", 1),
        ackTimeoutMs: int(values["ack-timeout"], "ack-timeout", 1),
      }),
      ...(values.host ? { host: values.host } : {}),
      ...(values["unsafe-expose"] ? { unsafeExpose: true } : {}),
      ...(values.region ? { region: values.region } : {}),
      ...(values["account-id"] ? { accountId: values["account-id"] } : {}),
      logger,
    });
    process.stdout.write(
      `${JSON.stringify({
        url: emulator.url,
        s3Url: emulator.s3Url,
        region: emulator.region,
        bucket: emulator.bucket,
        env: {
          CODEPIPELINE_ENDPOINT: emulator.url,
          CODEPIPELINE_S3_ENDPOINT: emulator.s3Url,
          AWS_REGION: emulator.region,
          AWS_ACCESS_KEY_ID: emulator.clientConfig.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulator.clientConfig.credentials.secretAccessKey,
        },
      })}\n`,
    );
    const signal = await onceSignalled();
    logger.info(`${signal}: stopping the emulator`);
    await emulator.close();
    return 0;
  }
  usageError(`unknown command ${JSON.stringify(command)}`);
}

function definedNumbers<T extends Record<string, number | undefined>>(
  o: T,
): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: number;
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CodepipelineWorkerError) {
      process.stderr.write(`codepipeline-worker: ${error.message}\n`);
      process.exitCode = error.code === "INVALID_ARGUMENT" ? 2 : 1;
    } else {
      process.stderr.write(`codepipeline-worker: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);

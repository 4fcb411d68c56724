import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach } from "vitest";
import {
  createLivyDevServer,
  type LivyDevServerOptions,
  type RunningLivyDevServer,
} from "../src/dev-server/index.js";
import { LivyClient, type LivyClientOptions, type LivyError } from "../src/index.js";
import { definePipeline, type Pipeline } from "../src/pipeline/index.js";

export const jobs = join(import.meta.dirname, "fixtures", "jobs");

/** Starts a dev server on an ephemeral loopback port with the test jobs as its cwd. */
export async function devServer(
  options: LivyDevServerOptions = {},
  client: Partial<LivyClientOptions> = {},
): Promise<{ server: RunningLivyDevServer; client: LivyClient; requests: string[] }> {
  const requests: string[] = [];
  const server = await createLivyDevServer({
    cwd: jobs,
    onRequest: (method, path) => requests.push(`${method} ${path}`),
    ...options,
  }).start({ port: 0 });
  return { server, client: new LivyClient({ url: server.url, ...client }), requests };
}

/**
 * A `start` for one test file: starts dev servers like {@link devServer} and closes every one of
 * them after each test.
 */
export function devServersClosedAfterEach(): typeof devServer {
  let servers: RunningLivyDevServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return async (...args) => {
    const started = await devServer(...args);
    servers.push(started.server);
    return started;
  };
}

/** The LivyError a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<LivyError> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: LivyError) => error,
  );
}

/**
 * A one-job pipeline whose batch has a conf key ending in ".$" (a JSONPath to Step Functions).
 * definePipeline refuses such keys, so it is built around a valid pipeline: what validating the
 * compiled definition is there to catch.
 */
export function pipelineWithDollarConf(): Pipeline {
  const plain = definePipeline({ name: "dollar", jobs: { a: { batch: { file: "a.py" } } } });
  return {
    ...plain,
    jobs: plain.jobs.map((job) => ({
      ...job,
      batch: { ...job.batch, conf: { "spark.app.$": "nope" } },
    })),
  } as Pipeline;
}

/** tsx's loader (`--import` it to run TypeScript) and the CLI's source, for spawning `livy`. */
export const tsx = pathToFileURL(
  join(import.meta.dirname, "..", "..", "..", "node_modules", "tsx", "dist", "loader.mjs"),
).href;
export const cli = join(import.meta.dirname, "..", "src", "cli.ts");

/** What a `livy` CLI run printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `livy` CLI from source (through tsx) as a child process; `env` goes over process.env. */
export function runLivy(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsx, cli, ...args], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

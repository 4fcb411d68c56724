import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningLivyDevServer } from "../src/dev-server/index.js";
import { type CliRun, cli, devServer, runLivy, tsx } from "./helpers.js";

const jobs = join(import.meta.dirname, "fixtures", "jobs");

function livy(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runLivy(args, { cwd: jobs, env: { LIVY_URL: "", ...env } });
}

let server: RunningLivyDevServer;
let url: string;
beforeAll(async () => {
  ({ server } = await devServer());
  url = server.url;
});
afterAll(() => server.close());

// Each case spawns the CLI through tsx several times: generous timeouts for a loaded machine.
// Tagged slow: every case spawns the CLI through tsx, a second or more each.
describe("livy CLI", { timeout: 120_000, tags: ["slow"] }, () => {
  it("prints help, and rejects bad usage with exit code 2", async () => {
    const help = await livy(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: livy <command>");
    expect((await livy([])).code).toBe(2);
    const unknown = await livy(["frobnicate", "--url", url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const conf = await livy(["submit", "count.mjs", "--conf", "novalue", "--url", url]);
    expect(conf.code).toBe(2);
    expect(conf.stderr).toContain("--conf expects key=value");
    const field = await livy(["submit", "count.mjs", "--executor-memory", "lots", "--url", url]);
    expect(field.code).toBe(2);
    expect(field.stderr).toContain("Invalid executorMemory");
    expect((await livy(["status", "x", "--url", url])).code).toBe(2);
    const header = await livy(["list", "--header", "no-colon", "--url", url]);
    expect(header.code).toBe(2);
    expect(header.stderr).toContain("--header expects 'Name: value'");
    expect((await livy(["list", "--bogus", "--url", url])).code).toBe(2);
    const layout = await livy(["serve", "--port", "0", "--log-layout", "columns"]);
    expect(layout.code).toBe(2);
    expect(layout.stderr).toContain("--log-layout expects interleaved or sections");
    expect((await livy(["list", "--url", "not a url"])).code).toBe(2);
  });

  it("submits and waits, with state changes and elapsed time on stderr", async () => {
    const run = await livy(
      ["submit", "count.mjs", "2", "--name", "cli-ok", "--wait", "--poll", "50"],
      {
        LIVY_URL: url,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\[\s+\d+\.\ds\] batch \d+ submitted \(starting\)/);
    expect(run.stderr).toMatch(/batch \d+: (starting|running) → success/);
    expect(run.stderr).toMatch(/batch \d+ finished: success/);
    expect(run.stdout).toMatch(/^\d+\tsuccess\tcli-ok\tlocal-/m);
    expect(run.stdout).not.toContain("line 1");
  });

  it("passes job arguments that start with - after --, as the usage says", async () => {
    const help = await livy(["--help"]);
    expect(help.stdout).toContain('job arguments that start with "-" go after "--"');
    const run = await livy([
      "submit",
      "env.mjs",
      "--name",
      "cli-dashes",
      "--follow-logs",
      "--poll",
      "50",
      "--url",
      url,
      "--",
      "--day",
      "2024-06-01",
      "-v",
    ]);
    expect(run.code).toBe(0);
    const printed = run.stdout.split("\n").find((line) => line.startsWith("{"));
    expect(JSON.parse(printed!)).toMatchObject({
      args: ["--day", "2024-06-01", "-v"],
      name: "cli-dashes",
    });
    // Without "--" the same flag is refused as an unknown option, before anything is sent.
    const refused = await livy(["submit", "env.mjs", "--day", "2024-06-01", "--url", url]);
    expect(refused.code).toBe(2);
  });

  it("runs a pipeline file with live progress, and prints its ASL", async () => {
    const file = join(import.meta.dirname, "fixtures", "pipelines", "two.json");
    const ok = await livy([
      "pipeline",
      "run",
      file,
      "--url",
      url,
      "--poll",
      "50",
      "--input",
      "lines=3",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^pipeline cli-two \(execution [0-9a-f]+\): succeeded$/m);
    expect(ok.stdout).toMatch(/^first\tsucceeded\tattempts 1\tbatch \d+\t/m);
    expect(ok.stderr).toMatch(/first: batch \d+ submitted \(attempt 1\)/);
    expect(ok.stderr).toMatch(/second: succeeded/);
    const failing = await livy([
      "pipeline",
      "run",
      file,
      "--url",
      url,
      "--poll",
      "50",
      "--input",
      "code=4",
      "--json",
    ]);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({
      status: "failed",
      jobs: { second: { state: "failed" } },
    });
    const asl = await livy([
      "pipeline",
      "asl",
      file,
      "--submit-arn",
      "arn:aws:lambda:eu-west-1:123456789012:function:submit",
      "--status-arn",
      "arn:aws:lambda:eu-west-1:123456789012:function:status",
    ]);
    expect(asl.code).toBe(0);
    expect(JSON.parse(asl.stdout)).toMatchObject({ StartAt: "Run pipeline" });
    const cycle = await livy([
      "pipeline",
      "run",
      join(import.meta.dirname, "fixtures", "pipelines", "cycle.json"),
      "--url",
      url,
    ]);
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain("cycle: a → b → a");
    expect((await livy(["pipeline", "deploy", file, "--url", url])).code).toBe(2);
  });

  it("reattaches to a live batch of the same name", async () => {
    const first = await livy([
      "submit",
      "sleep.mjs",
      "--name",
      "cli-once",
      "--reattach",
      "--url",
      url,
    ]);
    const second = await livy([
      "submit",
      "sleep.mjs",
      "--name",
      "cli-once",
      "--reattach",
      "--url",
      url,
    ]);
    expect(first.code).toBe(0);
    expect(second.stdout.split("\t")[0]).toBe(first.stdout.split("\t")[0]);
    await livy(["kill", first.stdout.split("\t")[0]!, "--url", url]);
  });

  it("follows logs and exits 1 when the batch fails", async () => {
    const run = await livy([
      "submit",
      "count.mjs",
      "3",
      "0",
      "4",
      "--follow-logs",
      "--poll",
      "50",
      "--url",
      url,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("line 1\nline 2\nline 3\n");
    expect(run.stderr).toContain("ended in state dead");
    const id = /batch (\d+) submitted/.exec(run.stderr)?.[1];
    const status = await livy(["status", id!, "--url", url]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^\d+\tdead\t/);
  });

  it("shows status, logs, the list and the version, and kills", async () => {
    const submitted = await livy(["submit", "sleep.mjs", "--name", "cli-sleep", "--url", url]);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.split("\t")[0]!;
    const status = await livy(["status", id, "--json", "--url", url]);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: Number(id), name: "cli-sleep" });
    const list = await livy(["list", "--url", url]);
    expect(list.stdout).toContain("cli-sleep");
    const version = await livy(["version", "--url", url]);
    expect(version.stdout.trim()).toBe("0.8.0-incubating");
    const logs = await livy(["logs", id, "--size", "1", "--from", "0", "--url", url]);
    expect(logs.stdout).toContain("launching");
    const timeout = await livy([
      "logs",
      id,
      "--follow",
      "--timeout",
      "1",
      "--kill-on-timeout",
      "--url",
      url,
    ]);
    expect(timeout.code).toBe(3);
    expect(timeout.stdout).toContain("sleeping");
    expect(timeout.stderr).toContain("it was killed");
    const gone = await livy(["kill", id, "--url", url]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain("not found");
  });

  it("exits 4 when Livy is unreachable", async () => {
    const run = await livy(["list", "--url", "http://127.0.0.1:9/"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("livy: Livy GET /batches");
  });

  it("serves the dev server until SIGTERM", async () => {
    const { url: serving, stop } = await serveWith([]);
    try {
      const run = await livy([
        "submit",
        "run.sh",
        "hi",
        "--wait",
        "--poll",
        "50",
        "--url",
        serving,
      ]);
      expect(run.code).toBe(0);
      const noCsrf = await livy(["submit", "run.sh", "--no-csrf", "--url", serving]);
      expect(noCsrf.code).toBe(4);
      expect(noCsrf.stderr).toContain("Missing Required Header for CSRF protection.");
    } finally {
      expect(await stop()).toBe(0);
    }
  });
});

/** Starts `livy serve --port 0 …flags` and resolves with its URL and a stop function. */
async function serveWith(
  flags: string[],
): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", tsx, cli, "serve", "--port", "0", ...flags],
    {
      cwd: jobs,
    },
  );
  const serving = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on("close", (code) => reject(new Error(`serve exited ${code}`)));
  });
  const stop = () => {
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    return closed;
  };
  return { url: serving, stop };
}

/** A raw POST /batches with the headers given (a browser's Host and Origin included). */
function postBatch(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/batches`, { method: "POST", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("livy serve: each browser check turns off only by its own flag", () => {
  const batch = JSON.stringify({ file: "run.sh", args: ["hi"] });

  it("--no-content-type-check, --allow-origin, --allow-host and --max-body-bytes", async () => {
    const { url: serving, stop } = await serveWith([
      "--no-content-type-check",
      "--allow-origin",
      "https://ok.example",
      "--allow-host",
      "devbox.local",
      "--max-body-bytes",
      "200",
    ]);
    try {
      const port = new URL(serving).port;
      const allowed = {
        host: `devbox.local:${port}`,
        origin: "https://ok.example",
        "content-type": "text/plain",
        "x-requested-by": "test",
      };
      expect(await postBatch(serving, allowed, batch)).toBe(201);
      expect(await postBatch(serving, { ...allowed, origin: "https://evil.example" }, batch)).toBe(
        403,
      );
      expect(await postBatch(serving, { ...allowed, host: `evil.example:${port}` }, batch)).toBe(
        403,
      );
      const big = JSON.stringify({ file: "run.sh", args: ["x".repeat(300)] });
      expect(await postBatch(serving, allowed, big)).toBe(413);
      // The CSRF header is still required: only the checks named were turned off.
      const { "x-requested-by": _, ...noCsrf } = allowed;
      expect(await postBatch(serving, noCsrf, batch)).toBe(400);
    } finally {
      expect(await stop()).toBe(0);
    }
  });

  it("--no-origin-check and --no-host-check", async () => {
    const { url: serving, stop } = await serveWith(["--no-origin-check", "--no-host-check"]);
    try {
      const forged = {
        host: "evil.example",
        origin: "https://evil.example",
        "content-type": "application/json",
        "x-requested-by": "test",
      };
      expect(await postBatch(serving, forged, batch)).toBe(201);
      // The content type is still checked.
      expect(await postBatch(serving, { ...forged, "content-type": "text/plain" }, batch)).toBe(
        415,
      );
    } finally {
      expect(await stop()).toBe(0);
    }
  });
});

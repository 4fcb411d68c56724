// 100 I/O-bound jobs through the emulator (each downloads a small input artifact, calls a slow
// loopback HTTP service that answers after 300 ms (a remote deploy call), uploads an output artifact). Peer in the same run: the same
// worker at concurrency 1, i.e. the classic one-job-at-a-time polling loop. Goal: concurrency 4
// gives at least 3× its throughput. The emulator runs in its own process (`codepipeline-worker
// emulate`), as the real service would, and is driven through its HTTP control API.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { createWorker, defineAction, registerActionType } from "../src/index.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 100);
const slow = createServer((_req, res) => {
  setTimeout(() => res.end("deployed"), 300);
});
await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;

const action = defineAction({
  actionTypeId: { category: "Deploy", provider: "IoBound", version: "1" },
  inputArtifacts: { min: 1, max: 1 },
  outputArtifacts: { min: 1, max: 1 },
  async handler(ctx) {
    const reply = await (await fetch(slowUrl, { signal: ctx.signal })).text();
    await ctx.output().writeFile("receipt.txt", `${reply}: ${ctx.input().files.join(",")}`);
    return { summary: reply };
  },
});

async function startEmulatorProcess() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "../src/cli.ts"), "emulate"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`emulator exited ${code}`)));
  });
  const info = JSON.parse(out.split("\n")[0] as string) as {
    url: string;
    s3Url: string;
    region: string;
  };
  return {
    ...info,
    async close() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

async function control<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok)
    throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function measure(concurrency: number): Promise<number> {
  const emulator = await startEmulatorProcess();
  const client = new CodePipelineClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  try {
    await registerActionType(action, { client });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const { actionExecutionId } = await control<{ actionExecutionId: string }>(
        `${emulator.url}/_emulator/jobs`,
        {
          method: "POST",
          body: JSON.stringify({
            actionTypeId: action.actionTypeId,
            inputArtifacts: [{ name: "App", files: { [`app-${i}.txt`]: `build ${i}` } }],
            outputArtifacts: ["Receipt"],
          }),
        },
      );
      ids.push(actionExecutionId);
    }
    const s3 = {
      endpoint: emulator.s3Url,
      region: emulator.region,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
    } as const;
    const worker = createWorker(action, { client, s3, concurrency, pollIntervalMs: 10 });
    const start = performance.now();
    const run = worker.run();
    for (const id of ids) {
      const execution = await control<{ status: string }>(
        `${emulator.url}/_emulator/executions/${id}/wait`,
      );
      if (execution.status !== "Succeeded") throw new Error(`job ${id} ${execution.status}`);
    }
    const seconds = (performance.now() - start) / 1000;
    await worker.stop();
    await run;
    return JOBS / seconds;
  } finally {
    client.destroy();
    await emulator.close();
  }
}

try {
  const one = await measure(1);
  const four = await measure(4);
  console.log(`concurrency 1 (peer): ${one.toFixed(1)} jobs/s`);
  console.log(`concurrency 4:        ${four.toFixed(1)} jobs/s`);
  const ratio = four / one;
  const ok = ratio >= 3;
  console.log(`ratio: ${ratio.toFixed(2)}× — ${ok ? "PASS" : "FAIL"} (goal ≥ 3×)`);
  if (!ok) process.exitCode = 1;
} finally {
  slow.close();
}

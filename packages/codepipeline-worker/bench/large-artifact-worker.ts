// Child process of large-artifact.bench.ts: runs the worker (and nothing else) for one job so
// its peak RSS is the worker's own. Prints one JSON line and exits.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { createWorker, defineAction } from "../src/index.js";

const [endpoint, s3Endpoint] = process.argv.slice(2) as [string, string];
let sha = "";
let bytes = 0;
const action = defineAction({
  actionTypeId: { category: "Deploy", provider: "BigArtifact", version: "1" },
  inputArtifacts: { min: 1, max: 1 },
  outputArtifacts: { min: 0, max: 1 },
  async handler(ctx) {
    const input = ctx.input();
    const hash = createHash("sha256");
    for (const file of input.files)
      await pipeline(createReadStream(join(input.dir, file)), hash, { end: false });
    sha = hash.digest("hex");
    bytes = input.bytes;
    await ctx.output().writeFile("sha256.txt", sha);
    return { summary: `sha256 ${sha}` };
  },
});
const client = new CodePipelineClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "a", secretAccessKey: "b" },
});
const worker = createWorker(action, {
  client,
  s3: {
    endpoint: s3Endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    requestChecksumCalculation: "WHEN_REQUIRED",
  },
  pollIntervalMs: 50,
  onJob: (e) => {
    if (e.phase === "done") void worker.stop();
  },
});
const stats = await worker.run();
client.destroy();
console.log(
  JSON.stringify({ stats, sha, bytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
);

// A 1 GiB input artifact through the worker: download, unzip, hash, upload a result. The zip is
// generated as a stream (never in memory) and the worker runs in its own process so its peak
// RSS is measured alone. Goal: peak RSS under 200 MB. Peer in the same run: the RSS a
// worker that buffers the artifact in memory (GetObject → transformToByteArray) needs for a
// 256 MiB artifact, the common shortcut in hand-written workers.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import yazl from "yazl";
import { startEmulator } from "../src/emulator/index.js";
import { defineAction, registerActionType } from "../src/index.js";

const GiB = 1024 ** 3;
const SIZE = Number(process.env.BENCH_ARTIFACT_BYTES ?? GiB);
const PEER_SIZE = Math.min(SIZE, 256 * 1024 ** 2);
const LIMIT = 200 * 1024 ** 2;
const MB = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;

/** Deterministic, poorly compressible bytes, generated chunk by chunk. */
function* chunks(total: number) {
  let state = 0x9e3779b9;
  const chunkSize = 1024 * 1024;
  for (let done = 0; done < total; done += chunkSize) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkSize, total - done));
    for (let i = 0; i < chunk.length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, i);
    }
    yield chunk;
  }
}

function zipStream(size: number): Readable {
  const zip = new yazl.ZipFile();
  zip.addReadStream(Readable.from(chunks(size)), "payload.bin", { compress: false, size });
  zip.end();
  return zip.outputStream as unknown as Readable;
}

const emulator = await startEmulator({ seed: 1 });
const client = new CodePipelineClient({ ...emulator.clientConfig });
const admin = new S3Client({
  ...emulator.workerS3Config,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
});
try {
  const action = defineAction({
    actionTypeId: { category: "Deploy", provider: "BigArtifact", version: "1" },
    inputArtifacts: { min: 1, max: 1 },
    outputArtifacts: { min: 0, max: 1 },
    handler: () => undefined,
  });
  await registerActionType(action, { client });
  let t = performance.now();
  await new Upload({
    client: admin,
    params: { Bucket: emulator.bucket, Key: "bench/big.zip", Body: zipStream(SIZE) },
    partSize: 16 * 1024 ** 2,
    queueSize: 2,
  }).done();
  console.log(
    `uploaded a ${MB(SIZE)} zip (streamed) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const expected = createHash("sha256");
  for (const c of chunks(SIZE)) expected.update(c);
  const { actionExecutionId } = await emulator.enqueueJob({
    actionTypeId: action.actionTypeId,
    inputArtifacts: [{ name: "Big", objectKey: "bench/big.zip" }],
    outputArtifacts: ["Sha"],
  });
  t = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "large-artifact-worker.ts"),
      emulator.url,
      emulator.s3Url,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const seconds = (performance.now() - t) / 1000;
  const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
    sha: string;
    bytes: number;
    maxRssBytes: number;
  };
  const execution = await emulator.waitForExecution(actionExecutionId, { timeoutMs: 60_000 });
  if (code !== 0 || execution.status !== "Succeeded")
    throw new Error(`worker exited ${code}, execution ${execution.status}`);
  if (result.sha !== expected.digest("hex") || result.bytes !== SIZE)
    throw new Error("worker saw different bytes than were uploaded");

  // Peer: buffer the artifact in memory, in a child process too.
  const peerScript = `
    const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({ endpoint: process.argv[1], region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    s3.send(new GetObjectCommand({ Bucket: process.argv[2], Key: "bench/peer.zip" }))
      .then((o) => o.Body.transformToByteArray())
      .then((bytes) => { console.log(JSON.stringify({ bytes: bytes.length, maxRssBytes: process.resourceUsage().maxRSS * 1024 })); s3.destroy(); });`;
  await new Upload({
    client: admin,
    params: { Bucket: emulator.bucket, Key: "bench/peer.zip", Body: zipStream(PEER_SIZE) },
    partSize: 16 * 1024 ** 2,
    queueSize: 2,
  }).done();
  const peer = spawn(process.execPath, ["-e", peerScript, emulator.s3Url, emulator.bucket], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let peerOut = "";
  peer.stdout.on("data", (c: Buffer) => {
    peerOut += c.toString();
  });
  await new Promise((resolve) => peer.on("exit", resolve));
  const peerResult = JSON.parse(peerOut.trim().split("\n").pop() ?? "{}") as {
    maxRssBytes: number;
  };

  console.log(
    `worker: ${MB(SIZE)} artifact processed in ${seconds.toFixed(1)} s, peak RSS ${MB(result.maxRssBytes)} (${((result.maxRssBytes / SIZE) * 100).toFixed(1)}% of the artifact)`,
  );
  console.log(
    `peer (buffer in memory): ${MB(PEER_SIZE)} artifact, peak RSS ${MB(peerResult.maxRssBytes)}`,
  );
  console.log(
    `ratio: the streaming worker used ${(peerResult.maxRssBytes / result.maxRssBytes).toFixed(2)}× less memory for a ${(SIZE / PEER_SIZE).toFixed(0)}× larger artifact`,
  );
  const ok = result.maxRssBytes < LIMIT;
  console.log(
    `${ok ? "PASS" : "FAIL"}: peak RSS ${MB(result.maxRssBytes)} ${ok ? "<" : "≥"} 200 MB goal`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  admin.destroy();
  client.destroy();
  await emulator.close();
}

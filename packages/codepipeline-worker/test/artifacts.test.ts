import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineAction, extractZip, registerActionType, zipDirectory } from "../src/index.js";
import { runOne, type Setup, setup } from "./helpers.js";

describe("zip round trip (property)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cpw-roundtrip-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("extractZip(zipDirectory(d)) reproduces every file of d", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
    const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(path, fc.uint8Array({ maxLength: 2000 }), { minKeys: 1, maxKeys: 8 }),
        async (files) => {
          // A path cannot be both a file and a folder.
          const names = Object.keys(files).filter(
            (n, _, all) => !all.some((o) => o.startsWith(`${n}/`)),
          );
          const src = await mkdtemp(join(dir, "src-"));
          for (const name of names) {
            await mkdir(dirname(join(src, name)), { recursive: true });
            await writeFile(join(src, name), files[name] as Uint8Array);
          }
          const { stream } = await zipDirectory(src);
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          const zipFile = join(dir, `${Math.random()}.zip`);
          await writeFile(zipFile, Buffer.concat(chunks));
          const out = await mkdtemp(join(dir, "out-"));
          const result = await extractZip(zipFile, out, { artifact: "P" });
          expect([...result.files].sort()).toEqual([...names].sort());
          for (const name of names) {
            expect(
              Buffer.compare(
                await readFile(join(out, name)),
                Buffer.from(files[name] as Uint8Array),
              ),
            ).toBe(0);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("large output artifact (multipart upload to s3rver)", { tags: ["slow"] }, () => {
  let s: Setup;
  afterEach(async () => s.close());

  it("stores a 20 MiB output byte for byte", async () => {
    s = await setup();
    const payload = randomBytes(20 * 1024 * 1024);
    const action = defineAction({
      actionTypeId: { category: "Build", provider: "BigOut", version: "1" },
      inputArtifacts: { min: 0, max: 0 },
      outputArtifacts: { min: 1, max: 1 },
      async handler(ctx) {
        await ctx.output().writeFile("payload.bin", payload);
        return undefined;
      },
    });
    await registerActionType(action, { client: s.client });
    const { execution, actionExecutionId } = await runOne(s, action, { outputArtifacts: ["Out"] });
    expect(execution.status).toBe("Succeeded");
    const zip = await s.emulator.readOutputArtifact(actionExecutionId, "Out");
    const file = join(await mkdtemp(join(tmpdir(), "cpw-bigout-")), "out.zip");
    await writeFile(file, zip);
    const out = join(dirname(file), "x");
    await extractZip(file, out, { artifact: "Out" });
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha(await readFile(join(out, "payload.bin")))).toBe(sha(payload));
    expect(
      s.emulator.s3Requests.some((r) => r.method === "POST" && r.accessKeyId?.startsWith("ASIA")),
    ).toBe(true);
    await rm(dirname(file), { recursive: true, force: true });
  }, 60_000);
});

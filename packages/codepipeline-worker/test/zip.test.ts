import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultMaxBytes, isUnsafeEntryName } from "../src/adapters/zip.js";
import { zipFiles } from "../src/emulator/enqueue.js";
import { CodepipelineWorkerError, extractZip, type ZipLimits, zipDirectory } from "../src/index.js";
import { unzipToMap } from "./helpers.js";
import { rawZip } from "./raw-zip.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cpw-zip-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function extract(zip: Buffer, limits?: ZipLimits) {
  const file = join(dir, "in.zip");
  await writeFile(file, zip);
  return extractZip(file, join(dir, "out"), { artifact: "Src", ...(limits ? { limits } : {}) });
}

async function errorOf(promise: Promise<unknown>): Promise<CodepipelineWorkerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CodepipelineWorkerError);
    return error as CodepipelineWorkerError;
  }
  throw new Error("expected a CodepipelineWorkerError");
}

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CodepipelineWorkerError);
    return (error as CodepipelineWorkerError).code;
  }
  return "no error";
}

describe("extractZip", () => {
  it("extracts files and folders and reports them", async () => {
    const result = await extract(
      rawZip([
        { name: "a.txt", data: "A" },
        { name: "d/", data: "", mode: 0o40755 },
        { name: "d/b.sh", data: "B", mode: 0o100755 },
      ]),
    );
    expect(result).toEqual({ files: ["a.txt", "d/b.sh"], bytes: 2 });
    expect(await readFile(join(dir, "out/d/b.sh"), "utf8")).toBe("B");
  });

  it("refuses a corrupt zip with INVALID_ZIP", async () => {
    expect(await codeOf(extract(Buffer.from("this is not a zip file at all, just text")))).toBe(
      "INVALID_ZIP",
    );
    const truncated = rawZip([{ name: "a.txt", data: "x".repeat(1000) }]).subarray(0, 500);
    expect(await codeOf(extract(truncated))).toBe("INVALID_ZIP");
  });

  it.each(["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "..\\evil.txt"])(
    "refuses entry %s and writes nothing outside",
    async (name) => {
      const error = await errorOf(
        extract(
          rawZip([
            { name: "ok.txt", data: "ok" },
            { name, data: "evil" },
          ]),
        ),
      );
      expect(error.code).toBe("UNSAFE_ZIP_ENTRY");
      expect(error.entry?.replace(/\\/g, "/")).toBe(name.replace(/\\/g, "/"));
      expect(existsSync(join(dir, "evil.txt"))).toBe(false);
      expect((await readdir(dir)).sort()).toEqual(["in.zip", "out"]);
    },
  );

  it("refuses symbolic links", async () => {
    const error = await errorOf(
      extract(rawZip([{ name: "link", data: "/etc/passwd", mode: 0o120777 }])),
    );
    expect(error.code).toBe("UNSAFE_ZIP_ENTRY");
    expect(error.entry).toBe("link");
  });

  it("refuses an entry compressing more than 200:1 with the default limits (zip bomb)", async () => {
    const bomb = await zipFiles({ "ok.txt": "fine", "zeros.bin": Buffer.alloc(20 * 1024 * 1024) });
    const error = await errorOf(extract(bomb));
    expect(error.code).toBe("ZIP_LIMIT_EXCEEDED");
    expect(error.entry).toBe("zeros.bin");
    expect(error.message).toContain("over the limit of 200:1");
    expect(existsSync(join(dir, "out/zeros.bin"))).toBe(false);
  });

  it("refuses an archive unpacking to more than 100× its size, even when no single entry is over the limits", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `part${String(i).padStart(2, "0")}.bin`,
        Buffer.alloc(512 * 1024),
      ]),
    );
    const error = await errorOf(extract(await zipFiles(files)));
    expect(error.code).toBe("ZIP_LIMIT_EXCEEDED");
    expect(error.message).toContain("more than 100× its size");
    expect(error.entry).toMatch(/^part\d\d\.bin$/);
  });

  it("lets ordinary compressible content through (text at about 5:1) and honours raised ratio limits", async () => {
    let seed = 1;
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
    const text = Array.from({ length: 400_000 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return words[(seed >>> 16) % words.length];
    }).join(" ");
    const ok = await extract(await zipFiles({ "log.txt": text }));
    expect(ok.files).toEqual(["log.txt"]);
    const zeros = await zipFiles({ "zeros.bin": Buffer.alloc(4 * 1024 * 1024) });
    expect(await codeOf(extract(zeros))).toBe("ZIP_LIMIT_EXCEEDED");
    await rm(join(dir, "out"), { recursive: true, force: true });
    const raised = await extract(zeros, { maxEntryRatio: 2000, maxArchiveRatio: 2000 });
    expect(raised.bytes).toBe(4 * 1024 * 1024);
  });

  it("sizes the default byte limit for the machine: 8 GiB at most, never more than the free disk", async () => {
    const limit = await defaultMaxBytes(dir);
    const { bavail, bsize } = await statfs(dir);
    expect(limit).toBeLessThanOrEqual(8 * 1024 ** 3);
    expect(limit).toBeLessThanOrEqual(bavail * bsize);
    expect(limit).toBeGreaterThan(0);
  });

  it("stops a zip bomb at the byte limit before writing it", async () => {
    const bomb = await zipFiles({ "zeros.bin": Buffer.alloc(20 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await codeOf(extract(bomb, { maxBytes: 1024 * 1024 }))).toBe("ZIP_LIMIT_EXCEEDED");
    expect(existsSync(join(dir, "out/zeros.bin"))).toBe(false);
  });

  it("stops at the entry-count limit", async () => {
    const many = rawZip(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: "x" })));
    expect(await codeOf(extract(many, { maxEntries: 10 }))).toBe("ZIP_LIMIT_EXCEEDED");
  });

  it("recognises unsafe names", () => {
    // Any ".." segment is refused, even one that stays inside, as yauzl does.
    expect(isUnsafeEntryName("a/b/../c")).toBe(true);
    expect(isUnsafeEntryName("a/../../c")).toBe(true);
    expect(isUnsafeEntryName("a/b..c")).toBe(false);
  });
});

describe("zipDirectory", () => {
  it("round-trips a folder through a zip", async () => {
    await writeFile(join(dir, "x.txt"), "X");
    const { stream, files } = await zipDirectory(dir);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(files).toBe(1);
    expect(await unzipToMap(Buffer.concat(chunks))).toEqual({ "x.txt": "X" });
  });
});

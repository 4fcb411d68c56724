import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { zipFiles } from "../src/emulator/enqueue.js";
import {
  CodepipelineWorkerError,
  extractZip,
  isUnsafeEntryName,
  zipDirectory,
} from "../src/index.js";
import { unzipToMap } from "./helpers.js";
import { rawZip } from "./raw-zip.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cpw-zip-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function extract(zip: Buffer, limits?: { maxEntries?: number; maxBytes?: number }) {
  const file = join(dir, "in.zip");
  await writeFile(file, zip);
  return extractZip(file, join(dir, "out"), { artifact: "Src", ...(limits ? { limits } : {}) });
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
      expect(
        await codeOf(
          extract(
            rawZip([
              { name: "ok.txt", data: "ok" },
              { name, data: "evil" },
            ]),
          ),
        ),
      ).toBe("UNSAFE_ZIP_ENTRY");
      expect(existsSync(join(dir, "evil.txt"))).toBe(false);
      expect((await readdir(dir)).sort()).toEqual(["in.zip", "out"]);
    },
  );

  it("refuses symbolic links", async () => {
    expect(
      await codeOf(extract(rawZip([{ name: "link", data: "/etc/passwd", mode: 0o120777 }]))),
    ).toBe("UNSAFE_ZIP_ENTRY");
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

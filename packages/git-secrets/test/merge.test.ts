import { describe, expect, it } from "vitest";
import { createCodec, GitSecretsError, generateKey, mergeSealed } from "../src/index.js";

const key = generateKey({ format: "git-seal", random: (n) => new Uint8Array(n).fill(9) });
const text = (s: string) => new TextEncoder().encode(s);

describe("merge driver (mergeSealed)", () => {
  it("merges the plaintexts and seals the result", async () => {
    const codec = await createCodec(key);
    const merged = await mergeSealed({
      codec,
      base: codec.seal(text("a\nb\nc\n")),
      ours: codec.seal(text("A\nb\nc\n")),
      theirs: codec.seal(text("a\nb\nC\n")),
      path: "x.env",
    });
    expect(merged.conflicts).toBe(false);
    expect(Buffer.from(codec.open(merged.result)).toString()).toBe("A\nb\nC\n");
    expect(codec.isSealed(merged.result)).toBe(true);
  });

  it("reports conflicts with markers of the requested size", async () => {
    const codec = await createCodec(key);
    const merged = await mergeSealed({
      codec,
      base: codec.seal(text("pw=1\n")),
      ours: codec.seal(text("pw=2\n")),
      theirs: codec.seal(text("pw=3\n")),
      markerSize: 10,
      path: "x.env",
    });
    expect(merged.conflicts).toBe(true);
    const shown = Buffer.from(codec.open(merged.result)).toString();
    expect(shown).toContain(
      "<<<<<<<<<< x.env (ours)\npw=2\n==========\npw=3\n>>>>>>>>>> x.env (theirs)",
    );
  });

  it("keeps ours and reports a conflict for binary content, as git does", async () => {
    const codec = await createCodec(key);
    const ours = codec.seal(new Uint8Array([0, 1, 2, 3]));
    const merged = await mergeSealed({
      codec,
      base: codec.seal(new Uint8Array([0, 9, 9])),
      ours,
      theirs: codec.seal(new Uint8Array([0, 7, 7])),
    });
    expect(merged.conflicts).toBe(true);
    expect(merged.result).toBe(ours);
  });

  it("refuses a tampered version", async () => {
    const codec = await createCodec(key);
    const bad = codec.seal(text("x\n"));
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    const error = await mergeSealed({
      codec,
      base: bad,
      ours: codec.seal(text("y\n")),
      theirs: codec.seal(text("z\n")),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitSecretsError);
    expect((error as GitSecretsError).code).toBe("CORRUPT_BLOB");
  });
});

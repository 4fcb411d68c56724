import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  encodeData,
  encodeText,
  FLUSH,
  type Packet,
  PktParser,
  packetText,
} from "../src/core/pkt-line.js";
import {
  type Codec,
  createCodec,
  GitSecretsError,
  generateKey,
  runFilterProcess,
} from "../src/index.js";

const key = generateKey({ format: "git-seal", random: (n) => new Uint8Array(n).fill(5) });

function request(command: string, path: string, content: Uint8Array): Buffer {
  return Buffer.concat([
    encodeText(`command=${command}`),
    encodeText(`pathname=${path}`),
    FLUSH,
    encodeData(content),
    FLUSH,
  ]);
}

const HANDSHAKE = Buffer.concat([
  encodeText("git-filter-client"),
  encodeText("version=2"),
  FLUSH,
  encodeText("capability=clean"),
  encodeText("capability=smudge"),
  encodeText("capability=delay"),
  FLUSH,
]);

/** Plays git's side: writes `wire`, ends stdin, returns every packet the filter answered. */
async function converse(
  wire: Buffer,
  codec: () => Promise<Codec>,
  errors: string[] = [],
  warnings: string[] = [],
) {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (c: Buffer) => chunks.push(c));
  // Feed in small pieces, as a pipe may deliver them.
  for (let i = 0; i < wire.length; i += 7) input.write(wire.subarray(i, i + 7));
  input.end();
  const result = await runFilterProcess({
    input,
    output,
    codec,
    logger: {
      debug: () => {},
      info: () => {},
      warn: (...m: unknown[]) => warnings.push(m.join(" ")),
      error: (...m: unknown[]) => errors.push(m.join(" ")),
    },
  });
  const parser = new PktParser();
  parser.push(Buffer.concat(chunks));
  const packets: Packet[] = [];
  for (let p = parser.next(); p !== undefined; p = parser.next()) packets.push(p);
  return { packets, result };
}

const text = (p: Packet) => (p === null ? "<flush>" : packetText(p));

describe("long-running filter process (protocol version 2)", () => {
  it("answers the handshake with version 2 and only the capabilities it has", async () => {
    const { packets } = await converse(HANDSHAKE, () => createCodec(key));
    expect(packets.map(text)).toEqual([
      "git-filter-server",
      "version=2",
      "<flush>",
      "capability=clean",
      "capability=smudge",
      "<flush>",
    ]);
  });

  it("cleans and smudges many files in one session, including content over one packet", async () => {
    const codec = await createCodec(key);
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    const small = new TextEncoder().encode("PASSWORD=x\n");
    const wire = Buffer.concat([
      HANDSHAKE,
      request("clean", "a.env", small),
      request("smudge", "a.env", codec.seal(small)),
      request("clean", "big.bin", big),
      request("clean", "empty.env", new Uint8Array()),
    ]);
    const { packets, result } = await converse(wire, async () => codec);
    expect(result.files).toBe(4);
    // After the handshake (6 packets): status, flush, content…, flush, flush per file.
    const answers: Uint8Array[] = [];
    let i = 6;
    while (i < packets.length) {
      expect(text(packets[i] as Packet)).toBe("status=success");
      expect(packets[i + 1]).toBeNull();
      i += 2;
      const parts: Uint8Array[] = [];
      while (packets[i] !== null) parts.push(packets[i++] as Uint8Array);
      expect(packets[i + 1]).toBeNull();
      i += 2;
      answers.push(Buffer.concat(parts));
    }
    expect(Buffer.from(answers[0] as Uint8Array).equals(Buffer.from(codec.seal(small)))).toBe(true);
    expect(Buffer.from(answers[1] as Uint8Array).toString()).toBe("PASSWORD=x\n");
    expect(Buffer.from(codec.open(answers[2] as Uint8Array)).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(codec.open(answers[3] as Uint8Array)).length).toBe(0);
  });

  it("answers status=error for a corrupt blob and keeps serving the next file", async () => {
    const codec = await createCodec(key);
    const blob = codec.seal(new TextEncoder().encode("secret"));
    blob[blob.length - 1] = (blob[blob.length - 1] as number) ^ 1;
    const errors: string[] = [];
    const wire = Buffer.concat([
      HANDSHAKE,
      request("smudge", "bad.env", blob),
      request("clean", "ok.env", new TextEncoder().encode("fine")),
    ]);
    const { packets, result } = await converse(wire, async () => codec, errors);
    expect(text(packets[6] as Packet)).toBe("status=error");
    expect(packets[7]).toBeNull();
    expect(text(packets[8] as Packet)).toBe("status=success");
    expect(result.files).toBe(1);
    expect(errors[0]).toContain("bad.env");
    expect(errors[0]).toContain("tampered");
  });

  it("answers status=error with the reason when no key is available", async () => {
    const errors: string[] = [];
    const wire = Buffer.concat([HANDSHAKE, request("clean", "a.env", new Uint8Array([1]))]);
    const missing = () =>
      Promise.reject(new GitSecretsError("KEY_NOT_FOUND", "no git-seal key stored"));
    const { packets } = await converse(wire, missing, errors);
    expect(text(packets[6] as Packet)).toBe("status=error");
    expect(errors).toEqual(["a.env: no git-seal key stored"]);
  });

  it("rejects an unknown command per file, and a wrong handshake or version as PROTOCOL_ERROR", async () => {
    const errors: string[] = [];
    const wire = Buffer.concat([HANDSHAKE, request("frobnicate", "a", new Uint8Array([1]))]);
    const { packets } = await converse(wire, () => createCodec(key), errors);
    expect(text(packets[6] as Packet)).toBe("status=error");
    expect(errors[0]).toContain("frobnicate");

    const bad = Buffer.concat([encodeText("git-filter-client"), encodeText("version=1"), FLUSH]);
    await expect(converse(bad, () => createCodec(key))).rejects.toMatchObject({
      code: "PROTOCOL_ERROR",
    });
    const wrong = Buffer.concat([encodeText("hello"), FLUSH]);
    await expect(converse(wrong, () => createCodec(key))).rejects.toMatchObject({
      code: "PROTOCOL_ERROR",
    });
    const cut = Buffer.concat([HANDSHAKE, encodeText("command=clean"), FLUSH, Buffer.from("00")]);
    await expect(converse(cut, () => createCodec(key))).rejects.toMatchObject({
      code: "PROTOCOL_ERROR",
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeData,
  encodeText,
  FLUSH,
  MAX_PKT_DATA,
  type Packet,
  PktParser,
} from "../src/core/pkt-line.js";
import { GitSecretsError } from "../src/index.js";

function parseAll(data: Uint8Array, chunk: number): Packet[] {
  const parser = new PktParser();
  const packets: Packet[] = [];
  for (let i = 0; i < data.length; i += chunk) {
    parser.push(data.subarray(i, i + chunk));
    for (let p = parser.next(); p !== undefined; p = parser.next()) packets.push(p);
  }
  return packets;
}

describe("pkt-line", () => {
  it("encodes text with a hex length that counts itself and the LF", () => {
    expect(Buffer.from(encodeText("version=2")).toString()).toBe("000eversion=2\n");
    expect(Buffer.from(FLUSH).toString()).toBe("0000");
  });

  it("splits data into packets of at most 65516 bytes and writes nothing for empty data", () => {
    expect(encodeData(new Uint8Array()).length).toBe(0);
    const data = new Uint8Array(MAX_PKT_DATA * 2 + 5).fill(7);
    const packets = parseAll(encodeData(data), 4096);
    expect(packets.map((p) => p?.length)).toEqual([MAX_PKT_DATA, MAX_PKT_DATA, 5]);
  });

  it("parses whatever the chunking (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: null }), {
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: 64 }),
        (packets, chunk) => {
          const wire = Buffer.concat(packets.map((p) => (p === null ? FLUSH : encodeData(p))));
          const parsed = parseAll(wire, chunk);
          expect(parsed.map((p) => (p === null ? null : Buffer.from(p).toString("hex")))).toEqual(
            packets.map((p) => (p === null ? null : Buffer.from(p).toString("hex"))),
          );
        },
      ),
    );
  });

  it("rejects a malformed length header and impossible lengths", () => {
    for (const bad of ["zzzz", "0001", "fff1"]) {
      const parser = new PktParser();
      parser.push(Buffer.from(bad));
      expect(() => parser.next()).toThrow(GitSecretsError);
    }
  });
});

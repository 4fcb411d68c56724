import { describe, expect, it } from "vitest";
import {
  decodeEscPos,
  encodeEscPos,
  encodeEscPosJob,
  escPosJobBytes,
  type MonoBitmap,
  type PrintProgressEvent,
  sendToPrinter,
} from "../src/index.js";
import { type RunningVirtualPrinter, startVirtualPrinter } from "../src/virtual-printer.js";
import { closeAfterTest, failure, printer } from "./helpers.js";

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

/** A 384×600 noise picture from a small LCG, with DLE EOT 1 written into its data twice. */
function noise(seed: number): MonoBitmap {
  const width = 384;
  const height = 600;
  const data = new Uint8Array(48 * height);
  let x = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = x >>> 24;
  }
  // Row 85, bytes 7–9 of the picture are bytes 4095–4097 of the first band (after its 8-byte
  // header): the sequence straddles two 4096-byte chunks. Printers answer it like a query.
  data.set([0x10, 0x04, 0x01], 85 * 48 + 7);
  // And one in the fourth band (rows 384…511).
  data.set([0x10, 0x04, 0x04], 400 * 48 + 20);
  return { width, height, bytesPerRow: 48, data };
}

/** The picture's dots, 1 byte each (an oracle independent of the decoder). */
function dotsOf(mono: MonoBitmap): Uint8Array {
  const dots = new Uint8Array(mono.width * mono.height);
  for (let y = 0; y < mono.height; y++)
    for (let x = 0; x < mono.width; x++)
      dots[y * mono.width + x] =
        (mono.data[y * mono.bytesPerRow + (x >> 3)] as number) & (0x80 >> (x & 7)) ? 1 : 0;
  return dots;
}

const picture = noise(20);
const job = encodeEscPosJob(picture, { profile: "58mm", caption: "resumed" });
// Bytes each connection carries before its blocks: DLE EOT 1–4 (12), then ESC @ (2). Each block
// is a 128-row band, 8 + 48 × 128 = 6152 bytes, followed by DLE EOT 1 (3).
const BAND = 8 + 48 * 128;

describe("resuming after a lost connection", () => {
  it("cuts jobs into blocks with the same bytes as encodeEscPos", () => {
    expect(job.blocks.map((b) => [b.firstRow, b.rows])).toEqual([
      [0, 128],
      [128, 128],
      [256, 128],
      [384, 128],
      [512, 88],
    ]);
    expect(job.blocks[0]!.bytes.length).toBe(6152);
    expect(
      Buffer.from(escPosJobBytes(job)).equals(
        Buffer.from(encodeEscPos(picture, { profile: "58mm", caption: "resumed" })),
      ),
    ).toBe(true);
    // A stream cut inside a band prints the bands before it and reports the cut one.
    const bytes = escPosJobBytes(job);
    const cut = decodeEscPos(bytes.subarray(0, 2 + BAND + 100), { width: 384 });
    expect(cut.height).toBe(128);
    expect(cut.truncated).toEqual({ offset: 2 + BAND, bytes: "1d 76 30 00 30 00 80 00" });
    expect(decodeEscPos(bytes, { width: 384 }).truncated).toBeNull();
  });

  it("the virtual printer cuts two connections mid-band; the paper equals the picture, no row twice or missing", async () => {
    const first = 12 + 2 + BAND + 3 + 3000; // inside band 2
    const second = 12 + 2 + BAND + 3 + BAND + 3 + 4; // inside band 4's header
    const p = await printer({ dropConnections: [first, second] });
    const warnings: string[] = [];
    const events: PrintProgressEvent[] = [];
    const result = await sendToPrinter(job, {
      printer: p.url,
      profile: "58mm",
      pacing: false,
      timeoutMs: 3000,
      reconnect: { retries: 3, backoffMs: 20 },
      logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
      onProgress: (e) => events.push(e),
    });
    expect(result.attempts).toBe(3);
    expect(result.rowsPrinted).toBe(600);
    expect(result.bytesSent).toBe(escPosJobBytes(job).length);
    await waitFor(() => p.jobs.length === 3);
    expect(p.jobs.map((j) => j.dropped)).toEqual([true, true, false]);
    expect(p.jobs.map((j) => j.paper.height > 0 && j.paper.truncated !== null)).toEqual([
      true,
      true,
      false,
    ]);
    // Connection 1 printed band 1, connection 2 bands 2 and 3, connection 3 the rest.
    expect(p.jobs[0]!.paper.height).toBe(128);
    expect(p.jobs[1]!.paper.height).toBe(256);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("resuming at row 128");
    expect(warnings[1]).toContain("resuming at row 384");
    expect(events.filter((e) => e.phase === "reconnect").map((e) => e.attempt)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ phase: "done", rowsDone: 600, rowsTotal: 600 });
    expect(events.every((e) => e.done <= e.total)).toBe(true);

    // The whole roll: the picture's 600 rows exactly, then the caption once.
    const roll = p.roll();
    const expected = dotsOf(picture);
    const top = new Uint8Array(384 * 600);
    for (let y = 0; y < 600; y++)
      top.set(roll.dots.subarray(y * roll.width, y * roll.width + 384), y * 384);
    expect(Buffer.from(top).equals(Buffer.from(expected))).toBe(true);
    expect(roll.texts.map((t) => t.text)).toEqual(["resumed"]);
    const straight = decodeEscPos(escPosJobBytes(job), { width: 384 });
    expect(roll.height).toBe(straight.height);
    expect(Buffer.from(roll.dots).equals(Buffer.from(straight.dots))).toBe(true);
  });

  it("gives up after the allowed retries with PRINT_INTERRUPTED and how far it got", async () => {
    const p = await printer({ dropConnections: [5000, 5000, 5000] });
    const error = await failure(
      sendToPrinter(job, {
        printer: p.url,
        pacing: false,
        timeoutMs: 3000,
        reconnect: { retries: 2, backoffMs: 10 },
      }),
    );
    expect(error.code).toBe("PRINT_INTERRUPTED");
    expect(error.attempts).toBe(3);
    expect(error.rowsPrinted).toBe(0);
    expect(error.message).toContain("3 connections tried");
    // Plain bytes have no safe point: never resumed.
    const raw = await printer({ dropConnections: [5000] });
    const rawError = await failure(
      sendToPrinter(escPosJobBytes(job), { printer: raw.url, pacing: false, timeoutMs: 3000 }),
    );
    expect(rawError.code).toBe("PRINT_INTERRUPTED");
    expect(rawError.attempts).toBe(1);
    await waitFor(() => raw.jobs.length === 1);
    expect(raw.jobs).toHaveLength(1);
  });

  it("the signal cancels a job waiting to reconnect", async () => {
    const p = await printer({ dropConnections: [5000] });
    const controller = new AbortController();
    const started = Date.now();
    const error = await failure(
      sendToPrinter(job, {
        printer: p.url,
        pacing: false,
        timeoutMs: 3000,
        reconnect: { retries: 3, backoffMs: 20_000 },
        signal: controller.signal,
        onProgress: (e) => {
          if (e.phase === "reconnect") controller.abort(new Error("user cancelled"));
        },
      }),
    );
    expect(error.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reconnects to a printer that went away and came back on the same port", async () => {
    const a = await startVirtualPrinter({
      port: 0,
      width: 384,
      dropConnections: [12 + 2 + BAND + 3 + BAND + 3 + 500],
    });
    const port = a.port;
    let b: RunningVirtualPrinter | undefined;
    // The printer "reboots": closed when the cut job ends, back 400 ms later.
    const back = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (a.jobs.length === 1) {
          clearInterval(check);
          void a.close().then(() =>
            setTimeout(async () => {
              b = await startVirtualPrinter({ port, width: 384 });
              closeAfterTest(b);
              resolve();
            }, 400),
          );
        }
      }, 5);
    });
    const events: PrintProgressEvent[] = [];
    const result = await sendToPrinter(job, {
      printer: a.url,
      pacing: false,
      timeoutMs: 3000,
      reconnect: { retries: 8, backoffMs: 50, maxBackoffMs: 400 },
      onProgress: (e) => events.push(e),
    });
    await back;
    expect(result.attempts).toBeGreaterThan(2);
    await waitFor(() => (b?.jobs.length ?? 0) === 1);
    expect(a.jobs[0]!.paper.height).toBe(256);
    expect(b!.jobs[0]!.paper.height).toBeGreaterThanOrEqual(600 - 256);
    const rows = new Uint8Array(384 * 600);
    rows.set(a.jobs[0]!.paper.dots.subarray(0, 384 * 256));
    rows.set(b!.jobs[0]!.paper.dots.subarray(0, 384 * 344), 384 * 256);
    expect(Buffer.from(rows).equals(Buffer.from(dotsOf(picture)))).toBe(true);
    expect(events.filter((e) => e.phase === "reconnect").length).toBe(result.attempts - 1);
  });
});

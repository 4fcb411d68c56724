import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeEscPos,
  dither,
  encodeEscPos,
  type GreyBitmap,
  sendToPrinter,
} from "../src/index.js";
import { startVirtualPrinter } from "../src/virtual-printer.js";
import { closeAfterTest, failure, printer, tempDir } from "./helpers.js";

const gradient: GreyBitmap = {
  width: 384,
  height: 300,
  data: new Uint8Array(384 * 300).map((_, i) => (i % 384) * (255 / 383)),
};
const job = encodeEscPos(dither(gradient), { profile: "58mm", caption: "hello" });

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("virtual printer and sending", () => {
  it("prints a job sent over TCP, in paced chunks, to the virtual printer on loopback", async () => {
    const p = await printer();
    expect(p.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const events: number[] = [];
    const result = await sendToPrinter(job, {
      printer: p.url,
      profile: {
        ...(await import("../src/index.js")).PRINTER_PROFILES["58mm"]!,
        bufferBytes: 4096,
        bytesPerSecond: 400_000,
      },
      onProgress: (e) => events.push(e.done),
    });
    expect(result.bytesSent).toBe(job.length);
    expect(result.status?.ready).toBe(true);
    await waitFor(() => p.jobs.length === 1);
    // The status check (DLE EOT 1, 2, 3, 4), then the job byte for byte.
    const statusQueries = [0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4];
    expect([...p.jobs[0]!.bytes.subarray(0, 12)]).toEqual(statusQueries);
    // then DLE EOT 1 again: the printer confirms it has the whole job.
    expect(Buffer.from(p.jobs[0]!.bytes.subarray(12, -3)).equals(Buffer.from(job))).toBe(true);
    expect([...p.jobs[0]!.bytes.subarray(-3)]).toEqual([0x10, 0x04, 1]);
    expect(p.jobs[0]!.paper.texts.map((t) => t.text)).toEqual(["hello"]);
    expect(p.jobs[0]!.png.subarray(1, 4).toString()).toBe("PNG");
    // Chunks of the buffer size: 14,4xx bytes in 4096-byte steps.
    expect(events.filter((d) => d > 0 && d < job.length).every((d) => d % 4096 === 0)).toBe(true);
    expect(events.at(-1)).toBe(job.length);
  });

  it("answers DLE EOT status queries as an online printer with paper", async () => {
    const p = await printer();
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(p.port, "127.0.0.1", () =>
        socket.write(Buffer.from([0x10, 0x04, 0x01])),
      );
      socket.once("data", (data) => {
        socket.end();
        resolve(data);
      });
      socket.once("error", reject);
    });
    expect([...answer]).toEqual([0x12]);
  });

  it("refuses an HTTP request (a web page trying to print through the browser)", async () => {
    const warnings: string[] = [];
    const p = await printer({
      logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
    });
    await new Promise<void>((resolve) => {
      const socket = connect(p.port, "127.0.0.1", () =>
        socket.write("POST /print HTTP/1.1\r\nHost: x\r\n\r\nhello"),
      );
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(p.jobs).toHaveLength(0);
    expect(warnings.join()).toContain("refused an HTTP request");
  });

  it("says the printer is unreachable when nothing listens", async () => {
    const p = await startVirtualPrinter({ port: 0, width: 384 });
    const port = p.port;
    await p.close();
    const error = await failure(
      sendToPrinter(job, { printer: `tcp://127.0.0.1:${port}`, timeoutMs: 2000 }),
    );
    expect(error.code).toBe("PRINTER_UNREACHABLE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it("reports how many bytes were sent when the connection breaks mid-job", async () => {
    // A printer that takes 5000 bytes, then drops the connection.
    let received = 0;
    const server = createServer((socket) => {
      socket.on("data", (d) => {
        received += d.length;
        if (received >= 5000) socket.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closeAfterTest({ close: () => new Promise((r) => server.close(() => r())) });
    const port = (server.address() as { port: number }).port;
    // Big enough that the kernel cannot take it all before the reset arrives.
    const big = new Uint8Array(32_000_000);
    const error = await failure(
      sendToPrinter(big, {
        printer: `tcp://127.0.0.1:${port}`,
        pacing: false,
        profile: {
          ...(await import("../src/index.js")).PRINTER_PROFILES["80mm"]!,
          bufferBytes: 1024,
        },
        timeoutMs: 2000,
        // This stand-in answers no status queries.
        checkStatus: false,
      }),
    );
    expect(error.code).toBe("PRINT_INTERRUPTED");
    expect(error.bytesSent).toBeGreaterThanOrEqual(5000);
    expect(error.bytesSent).toBeLessThan(big.length);
  });

  it("without a status check, answers the printer sends unasked do not hold up the end of the job", async () => {
    const p = await printer();
    // DLE EOT 1 inside the bytes: the printer answers it although nobody asked.
    const bytes = Uint8Array.from([0x1b, 0x40, 0x10, 0x04, 0x01, 0x0a]);
    const started = Date.now();
    const result = await sendToPrinter(bytes, {
      printer: p.url,
      pacing: false,
      checkStatus: false,
      timeoutMs: 20_000,
    });
    expect(result).toMatchObject({ bytesSent: 6, rowsPrinted: 0, attempts: 1 });
    // The end of the job came from the printer closing, not from the 20 s timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("writes to a file target, and stops when aborted", async () => {
    const dir = tempDir();
    const out = join(dir, "job.bin");
    await sendToPrinter(job, { printer: `file:${out}` });
    const written = readFileSync(out);
    expect(written.equals(Buffer.from(job))).toBe(true);
    expect(decodeEscPos(written, { width: 384 }).texts[0]!.text).toBe("hello");
    const controller = new AbortController();
    controller.abort();
    expect(
      await failure(sendToPrinter(job, { printer: `file:${out}`, signal: controller.signal })),
    ).toMatchObject({ code: "ABORTED" });
    expect(await failure(sendToPrinter(job, { printer: "lp0" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await failure(sendToPrinter(job, { printer: "/nonexistent/dir/lp0" }))).toMatchObject({
      code: "PRINTER_UNREACHABLE",
    });
  });
});

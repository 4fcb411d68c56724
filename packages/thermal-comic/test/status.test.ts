import { connect, createServer, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  dither,
  encodeEscPosJob,
  type GreyBitmap,
  parseStatus,
  queryPrinterStatus,
  sendToPrinter,
  type ThermalComicError,
} from "../src/index.js";
import { startVirtualPrinter } from "../src/virtual-printer.js";
import { closeAfterTest, failure, printer } from "./helpers.js";

/** Sends raw bytes on a fresh connection and collects what comes back for `ms`. */
async function exchange(port: number, bytes: number[], ms = 100): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const got: number[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(Buffer.from(bytes)));
    socket.on("data", (d) => got.push(...d));
    socket.once("error", reject);
    setTimeout(() => {
      socket.end();
      resolve(got);
    }, ms);
  });
}

const ALL = [0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4];

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

/** A stand-in printer on loopback that does whatever `handle` does with each connection. */
async function standIn(handle: (socket: Socket) => void): Promise<string> {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const sockets = new Set<Socket>();
  server.on("connection", (s) => sockets.add(s));
  closeAfterTest({
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  });
  return `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("DLE EOT real-time status", () => {
  it("the virtual printer answers DLE EOT 1–4 per the Epson tables for each sensor state", async () => {
    const p = await printer();
    // Ready: every answer is the fixed bits alone, 0001 0010.
    expect(await exchange(p.port, ALL)).toEqual([0x12, 0x12, 0x12, 0x12]);
    p.setState({ paperOut: true });
    // Offline (bit 3), stopped by paper end (n 2 bit 5), paper end sensor (n 4 bits 5, 6).
    expect(await exchange(p.port, ALL)).toEqual([0x1a, 0x32, 0x12, 0x72]);
    p.setState({ paperOut: false, coverOpen: true });
    expect(await exchange(p.port, ALL)).toEqual([0x1a, 0x16, 0x12, 0x12]);
    p.setState({ coverOpen: false, paperNearEnd: true });
    // Near end alone keeps the printer online: n 4 bits 2, 3.
    expect(await exchange(p.port, ALL)).toEqual([0x12, 0x12, 0x12, 0x1e]);
    p.setState({ paperNearEnd: false, autocutterError: true });
    // Error: offline, n 2 bit 6, n 3 bit 3.
    expect(await exchange(p.port, ALL)).toEqual([0x1a, 0x52, 0x1a, 0x12]);
    p.setState({ autocutterError: false, unrecoverableError: true, autoRecoverableError: true });
    expect(await exchange(p.port, [0x10, 0x04, 3])).toEqual([0x72]);
    // n outside 1..4 is no query; the sequence inside picture data is one (printers answer it).
    p.setState({ unrecoverableError: false, autoRecoverableError: false });
    expect(await exchange(p.port, [0x10, 0x04, 0x05, 0x10, 0x04, 0x00])).toEqual([]);
    expect(
      await exchange(p.port, [0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x03, 0x00, 0x10, 0x04, 0x02]),
    ).toEqual([0x12]);
  });

  it("queryPrinterStatus reads the four answers into a typed status", async () => {
    const p = await printer();
    const ready = await queryPrinterStatus({ printer: p.url, timeoutMs: 2000 });
    expect(ready).toMatchObject({
      ready: true,
      online: true,
      paperOut: false,
      coverOpen: false,
      paperNearEnd: false,
      bytes: [0x12, 0x12, 0x12, 0x12],
    });
    p.setState({ paperOut: true, coverOpen: true });
    const out = await queryPrinterStatus({ printer: p.url, timeoutMs: 2000 });
    expect(out).toMatchObject({
      ready: false,
      online: false,
      paperOut: true,
      coverOpen: true,
      stoppedByPaperEnd: true,
    });
    // Decoding alone, from bytes written out: auto-recoverable error and near end.
    expect(parseStatus([0x1a, 0x52, 0x52, 0x1e])).toMatchObject({
      ready: false,
      error: true,
      errors: { autocutter: false, unrecoverable: false, autoRecoverable: true },
      paperNearEnd: true,
      paperOut: false,
    });
  });

  it("a printer that does not answer, or answers garbage, is NO_STATUS; no connection is PRINTER_UNREACHABLE", async () => {
    const silent = await standIn(() => {});
    const started = Date.now();
    const timeout = await failure(queryPrinterStatus({ printer: silent, timeoutMs: 300 }));
    expect(timeout.code).toBe("NO_STATUS");
    expect(timeout.message).toContain("DLE EOT 1");
    expect(Date.now() - started).toBeLessThan(3000);
    const garbage = await standIn((s) => s.on("data", () => s.write(Buffer.from([0xff]))));
    const bad = await failure(queryPrinterStatus({ printer: garbage, timeoutMs: 1000 }));
    expect(bad.code).toBe("NO_STATUS");
    expect(bad.message).toContain("0xff");
    const p = await startVirtualPrinter({ port: 0, width: 384 });
    const port = p.port;
    await p.close();
    expect(
      (await failure(queryPrinterStatus({ printer: `tcp://127.0.0.1:${port}`, timeoutMs: 1000 })))
        .code,
    ).toBe("PRINTER_UNREACHABLE");
    expect((await failure(queryPrinterStatus({ printer: "file:/tmp/x.bin" }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    // Printing to a silent printer fails the same way before sending any picture.
    const received: Buffer[] = [];
    const quiet = await standIn((s) => s.on("data", (d) => received.push(d)));
    const job = new Uint8Array([0x1b, 0x40, 0x0a]);
    expect((await failure(sendToPrinter(job, { printer: quiet, timeoutMs: 300 }))).code).toBe(
      "NO_STATUS",
    );
    expect([...Buffer.concat(received)]).toEqual([0x10, 0x04, 1]);
  });

  it("paper out before printing: PRINTER_NOT_READY with the status, and no print data sent", async () => {
    const p = await printer({ state: { paperOut: true } });
    const grey: GreyBitmap = { width: 384, height: 64, data: new Uint8Array(384 * 64).fill(0) };
    const job = encodeEscPosJob(dither(grey), { profile: "58mm" });
    const error = await failure(sendToPrinter(job, { printer: p.url, timeoutMs: 2000 }));
    expect(error.code).toBe("PRINTER_NOT_READY");
    expect(error.status?.paperOut).toBe(true);
    expect(error.message).toContain("paper out");
    expect(error.message).toContain("nothing was sent");
    await waitFor(() => p.jobs.length === 1);
    expect([...p.jobs[0]!.bytes]).toEqual(ALL);
    expect(p.jobs[0]!.paper.height).toBe(0);
    // The cover open is named too; checkStatus: false prints regardless.
    p.setState({ paperOut: false, coverOpen: true });
    const cover = await failure(sendToPrinter(job, { printer: p.url, timeoutMs: 2000 }));
    expect(cover.message).toContain("cover open");
    const forced = await sendToPrinter(job, { printer: p.url, checkStatus: false, pacing: false });
    expect(forced.status).toBeUndefined();
    await waitFor(() => p.jobs.length === 3);
    expect(p.jobs[2]!.paper.height).toBeGreaterThanOrEqual(64);
  });

  it("paper running out mid-job stops at a confirmed block with the rows printed", async () => {
    const p = await printer();
    const grey: GreyBitmap = { width: 384, height: 400, data: new Uint8Array(384 * 400) };
    const job = encodeEscPosJob(dither(grey, { method: "threshold" }), { profile: "58mm" });
    // 58mm bands are 128 rows: 128, 128, 128, 16.
    expect(job.blocks.map((b) => b.rows)).toEqual([128, 128, 128, 16]);
    const error = await failure(
      sendToPrinter(job, {
        printer: p.url,
        pacing: false,
        timeoutMs: 2000,
        onProgress: (e) => {
          if (e.rowsDone === 128) p.setState({ paperOut: true });
        },
      }),
    );
    expect(error.code).toBe("PRINTER_NOT_READY");
    expect(error.message).toContain("went offline mid-job");
    expect(error.rowsPrinted).toBe(128);
    expect(error.status?.paperOut).toBe(true);
  });

  it("serves any attached stream: answers status at once, ends a job after a pause", async () => {
    const p = await printer({ port: null, serialPath: undefined }).catch((e) => e);
    expect((p as ThermalComicError).code).toBe("INVALID_ARGUMENT");
    const vp = await printer({ jobIdleMs: 50, state: { paperNearEnd: true } });
    const answers: number[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        answers.push(...chunk);
        done();
      },
    });
    vp.attach(stream, "pipe");
    // ESC @, a 1-byte-wide 2-row raster band, DLE EOT 4, LF.
    stream.push(Buffer.from([0x1b, 0x40, 0x1d, 0x76, 0x30, 0, 1, 0, 2, 0, 0x80, 0x01]));
    stream.push(Buffer.from([0x10, 0x04, 4, 0x0a]));
    await waitFor(() => vp.jobs.length === 1);
    expect(answers).toEqual([0x1e]);
    expect(vp.jobs[0]!.paper.height).toBeGreaterThanOrEqual(2);
    expect(vp.jobs[0]!.paper.dots[0]).toBe(1);
    expect(vp.jobs[0]!.paper.dots[vp.jobs[0]!.paper.width + 7]).toBe(1);
    expect(vp.jobs[0]!.paper.statusQueries).toEqual([4]);
    expect(vp.state.paperNearEnd).toBe(true);
    stream.destroy();
  });
});

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  dither,
  encodeEscPosJob,
  type GreyBitmap,
  queryPrinterStatus,
  sendToPrinter,
} from "../src/index.js";
import { type RunningVirtualPrinter, startVirtualPrinter } from "../src/virtual-printer.js";
import { failure, tempDir } from "./helpers.js";

const hasSocat = (() => {
  try {
    execFileSync("socat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
// CI installs socat (.ci/apt-packages): there a missing socat fails instead of skipping.
const skipSerial = !hasSocat && process.env.CI !== "true";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A socat pseudo-terminal pair: the printer's end and the host's end. */
async function ptyPair(): Promise<{ printerEnd: string; hostEnd: string; socat: ChildProcess }> {
  const dir = tempDir();
  const printerEnd = join(dir, "printer");
  const hostEnd = join(dir, "host");
  const socat = spawn(
    "socat",
    [`pty,raw,echo=0,link=${printerEnd}`, `pty,raw,echo=0,link=${hostEnd}`],
    { stdio: "ignore" },
  );
  cleanups.push(async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((r) => socat.once("exit", r));
      socat.kill();
      await exited;
    }
  });
  for (let i = 0; i < 250 && !(existsSync(printerEnd) && existsSync(hostEnd)); i++)
    await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(hostEnd)) throw new Error("socat did not create its pseudo-terminals in 5 s");
  return { printerEnd, hostEnd, socat };
}

async function serialPrinter(printerEnd: string, options = {}): Promise<RunningVirtualPrinter> {
  const p = await startVirtualPrinter({
    serialPath: printerEnd,
    baudRate: 19200,
    width: 384,
    jobIdleMs: 300,
    ...options,
  });
  cleanups.push(() => p.close());
  return p;
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

const grey: GreyBitmap = {
  width: 384,
  height: 300,
  data: new Uint8Array(384 * 300).map((_, i) => ((i % 384) + Math.floor(i / 384)) % 256),
};
const mono = dither(grey, { method: "atkinson" });
const job = encodeEscPosJob(mono, { profile: "adafruit-csn-a2", caption: "serial" });

describe("serial printers over a socat pseudo-terminal pair", { tags: ["peer"] }, () => {
  it.skipIf(skipSerial)(
    "prints an acknowledged job with serialport; the virtual printer on the other end gets the picture",
    async () => {
      const { printerEnd, hostEnd } = await ptyPair();
      const p = await serialPrinter(printerEnd);
      expect(p.url).toBe(`serial:${printerEnd}`);
      expect(p.port).toBe(0);
      const result = await sendToPrinter(job, {
        printer: `serial:${hostEnd}`,
        profile: "adafruit-csn-a2",
        serial: { baudRate: 19200, flowControl: "none" },
        pacing: false,
        timeoutMs: 3000,
      });
      expect(result).toMatchObject({ rowsPrinted: 300, attempts: 1, status: { ready: true } });
      await waitFor(() => p.jobs.length === 1);
      const paper = p.jobs[0]!.paper;
      expect(paper.heat).toEqual([[11, 120, 40]]);
      expect(paper.texts.map((t) => t.text)).toEqual(["serial"]);
      for (const y of [0, 150, 299])
        for (const x of [0, 100, 383])
          expect(paper.dots[y * paper.width + x]).toBe(
            (mono.data[y * mono.bytesPerRow + (x >> 3)]! & (0x80 >> (x & 7))) !== 0 ? 1 : 0,
          );
    },
  );

  it.skipIf(skipSerial)(
    "reads the status over the serial line and refuses to print with the cover open",
    async () => {
      const { printerEnd, hostEnd } = await ptyPair();
      const p = await serialPrinter(printerEnd, { state: { coverOpen: true } });
      const status = await queryPrinterStatus({
        printer: `serial:${hostEnd}`,
        serial: { baudRate: 19200 },
        timeoutMs: 3000,
      });
      expect(status).toMatchObject({ ready: false, coverOpen: true, paperOut: false });
      const error = await failure(
        sendToPrinter(job, { printer: `serial:${hostEnd}`, pacing: false, timeoutMs: 3000 }),
      );
      expect(error.code).toBe("PRINTER_NOT_READY");
      await waitFor(() => p.jobs.length >= 1);
      expect(p.jobs.every((j) => j.paper.height === 0)).toBe(true);
    },
  );

  it.skipIf(skipSerial)(
    "an unplugged serial line mid-job is PRINT_INTERRUPTED after the allowed retries",
    async () => {
      const { printerEnd, hostEnd, socat } = await ptyPair();
      await serialPrinter(printerEnd);
      const error = await failure(
        sendToPrinter(job, {
          printer: `serial:${hostEnd}`,
          profile: "adafruit-csn-a2",
          pacing: false,
          timeoutMs: 1000,
          reconnect: { retries: 1, backoffMs: 10 },
          onProgress: (e) => {
            if (e.rowsDone >= 255 && socat.exitCode === null) socat.kill();
          },
        }),
      );
      expect(error.code).toBe("PRINT_INTERRUPTED");
      expect(error.attempts).toBe(2);
      expect(error.rowsPrinted).toBe(255);
    },
  );
});

describe("serial targets without a device", () => {
  it("a missing serial device is PRINTER_UNREACHABLE naming the path", async () => {
    const error = await failure(
      sendToPrinter(job, { printer: "serial:/nonexistent/ttyUSB9", timeoutMs: 1000 }),
    );
    expect(error.code).toBe("PRINTER_UNREACHABLE");
    expect(error.message).toContain("/nonexistent/ttyUSB9");
    expect(error.path).toBe("/nonexistent/ttyUSB9");
  });

  it("a /dev/tty… path is a serial target (dialout hint), /dev/usb/lp… a one-way device (lp hint)", async () => {
    const serial = await failure(sendToPrinter(job, { printer: "/dev/ttyNOPE9", timeoutMs: 1000 }));
    expect(serial.code).toBe("PRINTER_UNREACHABLE");
    expect(serial.message).toContain("dialout");
    const byId = await failure(
      sendToPrinter(job, { printer: "/dev/serial/by-id/usb-nope-if00", timeoutMs: 1000 }),
    );
    expect(byId.message).toContain("dialout");
    const lp = await failure(sendToPrinter(job, { printer: "/dev/usb/nope9", timeoutMs: 1000 }));
    expect(lp.code).toBe("PRINTER_UNREACHABLE");
    expect(lp.message).toContain("lp group");
  });
});

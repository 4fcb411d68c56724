import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  exampleMachine,
  openSerialTransport,
  openTcpTransport,
  type PlotterTransport,
  PolargraphError,
  planDrawing,
  streamToPlotter,
  toGrbl,
  toMarlin,
  toPolargraph,
} from "../src/index.js";
import { type SimulatedPlotter, startSimulatedPlotter } from "../src/services/simulator.js";

const plan = planDrawing(exampleMachine, [
  [
    { x: 20, y: 20 },
    { x: 120, y: 30 },
    { x: 60, y: 120 },
    { x: 20, y: 20 },
  ],
]);
const polargraph = toPolargraph(plan);
const grbl = toGrbl(plan);
const marlin = toMarlin(plan);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulator(
  options: Parameters<typeof startSimulatedPlotter>[0],
): Promise<SimulatedPlotter> {
  const sim = await startSimulatedPlotter(options);
  cleanups.push(() => sim.close());
  return sim;
}

async function tcp(sim: SimulatedPlotter): Promise<PlotterTransport> {
  const t = await openTcpTransport({ port: sim.port });
  cleanups.push(() => t.close());
  return t;
}

async function rejection(p: Promise<unknown>): Promise<PolargraphError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(PolargraphError);
    return error as PolargraphError;
  }
  throw new Error("expected a rejection");
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const hasSocat = (() => {
  try {
    execFileSync("socat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const inCI = process.env.CI === "true";

describe("streamToPlotter over TCP", () => {
  it("feeds polargraph_server one command per READY", async () => {
    const sim = await simulator({ protocol: "polargraph" });
    const events: number[] = [];
    const job = streamToPlotter(polargraph, await tcp(sim), {
      onProgress: (e) => events.push(e.lastAcknowledgedLine),
    });
    const result = await job.done;
    expect(result).toEqual({
      lastAcknowledgedLine: polargraph.length - 1,
      total: polargraph.length,
      sent: polargraph.length,
    });
    expect(sim.commands).toEqual(polargraph);
    expect(sim.failures).toEqual([]);
    expect(events[events.length - 1]).toBe(polargraph.length - 1);
    expect(sim.emulator?.peakRxBytes).toBeLessThanOrEqual(49 + 1);
  });

  it("fills GRBL's 128-byte buffer by character counting without overflowing it", async () => {
    const sim = await simulator({ protocol: "grbl", msPerCommand: 2 });
    await streamToPlotter(grbl, await tcp(sim), { protocol: "grbl" }).done;
    // GRBL acknowledges a line when it enters the planner; the last ones run after that
    await until(() => sim.commands.length === grbl.length);
    expect(sim.commands).toEqual(grbl);
    expect(sim.failures).toEqual([]);
    expect(sim.emulator?.peakRxBytes).toBeLessThanOrEqual(127);
    expect(sim.emulator?.peakRxBytes).toBeGreaterThan(64);
  });

  it("numbers and checksums Marlin lines and answers a resend request", async () => {
    const sim = await simulator({ protocol: "marlin", corruptLine: 5 });
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m: unknown) => warnings.push(String(m)),
      error() {},
    };
    await streamToPlotter(marlin, await tcp(sim), { protocol: "marlin", logger }).done;
    expect(sim.commands).toEqual(marlin);
    expect(warnings).toContain("Marlin asked to resend from line 5");
  });

  it("pauses and resumes", async () => {
    const sim = await simulator({ protocol: "grbl", msPerCommand: 2 });
    const job = streamToPlotter(grbl, await tcp(sim), {
      protocol: "grbl",
      onProgress: (e) => {
        if (e.lastAcknowledgedLine === 10 && !e.paused && !job.paused) job.pause();
      },
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(job.paused).toBe(true);
    const during = sim.commands.length;
    expect(during).toBeLessThan(grbl.length);
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.commands.length).toBe(during); // feed hold: nothing runs
    job.resume();
    await job.done;
    await until(() => sim.commands.length === grbl.length);
    expect(sim.commands).toEqual(grbl);
  });

  it("aborts with the last acknowledged line", async () => {
    const sim = await simulator({ protocol: "polargraph", msPerCommand: 5 });
    const controller = new AbortController();
    const job = streamToPlotter(polargraph, await tcp(sim), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.lastAcknowledgedLine === 7) controller.abort();
      },
    });
    const error = await rejection(job.done);
    expect(error.code).toBe("ABORTED");
    expect(error.lastAcknowledgedLine).toBe(7);
  });

  it("reports a disconnect with the last acknowledged line and resumes from it", async () => {
    const sim = await simulator({ protocol: "polargraph", disconnectAfter: 20 });
    const error = await rejection(streamToPlotter(polargraph, await tcp(sim)).done);
    expect(error.code).toBe("DISCONNECTED");
    expect(error.lastAcknowledgedLine).toBe(19);
    expect(sim.commands).toEqual(polargraph.slice(0, 20));
    const fresh = await simulator({ protocol: "polargraph" });
    const resumed = await streamToPlotter(polargraph, await tcp(fresh), { startLine: 20 }).done;
    expect(resumed.sent).toBe(polargraph.length - 20);
    expect([...sim.commands, ...fresh.commands]).toEqual(polargraph);
  });

  it("resumes Marlin from a line with M110", async () => {
    const sim = await simulator({ protocol: "marlin" });
    await streamToPlotter(marlin, await tcp(sim), { protocol: "marlin", startLine: 30 }).done;
    expect(sim.commands).toEqual(marlin.slice(30));
  });

  it("fails on a controller error, a silent controller and bad options", async () => {
    const servers: Server[] = [];
    const serve = async (reply: (line: string) => string | null) => {
      const server = createServer((s) => {
        s.setEncoding("latin1");
        s.on("data", (chunk: string) => {
          for (const line of chunk.split("\n").filter(Boolean)) {
            const r = reply(line);
            if (r) s.write(r);
          }
        });
        s.on("error", () => {});
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      cleanups.push(() => new Promise((r) => server.close(r)));
      const address = server.address();
      return openTcpTransport({ port: typeof address === "object" && address ? address.port : 0 });
    };
    let n = 0;
    const erroring = await serve(() => (++n === 3 ? "error:20\r\n" : "ok\r\n"));
    cleanups.push(() => erroring.close());
    const e1 = await rejection(
      streamToPlotter(["G21", "G90", "G5 X1", "G0 X1"], erroring, {
        protocol: "grbl",
        bufferSize: 8,
      }).done,
    );
    expect(e1).toMatchObject({ code: "PROTOCOL_ERROR", line: 2, lastAcknowledgedLine: 1 });

    const silent = await serve(() => null);
    cleanups.push(() => silent.close());
    const e2 = await rejection(
      streamToPlotter(["G21"], silent, { protocol: "grbl", timeoutMs: 100 }).done,
    );
    expect(e2.code).toBe("TIMEOUT");

    const e3 = await rejection(streamToPlotter(["C14,END"], silent, { startLine: 5 }).done);
    expect(e3.code).toBe("INVALID_ARGUMENT");
    const e4 = await rejection(
      streamToPlotter(["x".repeat(200)], silent, { protocol: "grbl" }).done,
    );
    expect(e4.code).toBe("LINE_TOO_LONG");
    const e5 = await rejection(streamToPlotter(["C14,END"], silent, { bufferSize: 4 }).done);
    expect(e5.code).toBe("INVALID_ARGUMENT");
  });
});

describe("the simulated plotter enforces its controller's limits", () => {
  it("GRBL overflows when a host ignores character counting", async () => {
    const sim = await simulator({ protocol: "grbl", msPerCommand: 20 });
    const t = await tcp(sim);
    const closed = new Promise((r) => t.onClose(r));
    await t.write(`${grbl.join("\n")}\n`);
    await closed;
    expect(sim.failures[0]).toMatch(/receive buffer overflow: \d+ bytes waiting, 127 fit/);
  });

  it("polargraph_server overflows on a command over 49 characters", async () => {
    const sim = await simulator({ protocol: "polargraph" });
    const t = await tcp(sim);
    const closed = new Promise((r) => t.onClose(r));
    await t.write(`C17,${"1".repeat(40)},2,2,END\n`);
    await closed;
    expect(sim.failures[0]).toMatch(/longer than 49 characters/);
  });

  it("polargraph_server overflows when commands pile up while it is busy", async () => {
    const sim = await simulator({ protocol: "polargraph", msPerCommand: 50 });
    const t = await tcp(sim);
    const closed = new Promise((r) => t.onClose(r));
    await t.write(`${polargraph.slice(0, 12).join("\n")}\n`);
    await closed;
    expect(sim.failures[0]).toMatch(/64 fit/);
  });
});

describe("transports", () => {
  it("report a connection that cannot be made", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise((r) => server.close(r));
    expect((await rejection(openTcpTransport({ port }))).code).toBe("TRANSPORT_ERROR");
    expect(
      (await rejection(openSerialTransport({ path: "/dev/does-not-exist-polargraph" }))).code,
    ).toBe("TRANSPORT_ERROR");
    const aborted = AbortSignal.abort();
    expect((await rejection(openTcpTransport({ port, signal: aborted }))).code).toBe("ABORTED");
  });
});

describe("streamToPlotter over a serial pseudo-terminal (socat)", { tags: ["peer"] }, () => {
  it.skipIf(!hasSocat && !inCI)("streams polargraph commands over serialport", async () => {
    const sim = await simulator({ protocol: "polargraph", over: "pty", readyIntervalMs: 1000 });
    const port = await openSerialTransport({ path: sim.path as string, baudRate: 57600 });
    cleanups.push(() => port.close());
    await streamToPlotter(polargraph, port).done;
    expect(sim.commands).toEqual(polargraph);
  });

  it.skipIf(!hasSocat && !inCI)("reports an unplugged serial plotter as a disconnect", async () => {
    const sim = await simulator({
      protocol: "grbl",
      over: "pty",
      disconnectAfter: 15,
      msPerCommand: 2,
    });
    const port = await openSerialTransport({ path: sim.path as string });
    cleanups.push(() => port.close());
    const error = await rejection(
      streamToPlotter(grbl, port, { protocol: "grbl", timeoutMs: 5000 }).done,
    );
    expect(error.code).toBe("DISCONNECTED");
    expect(error.lastAcknowledgedLine).toBeGreaterThanOrEqual(14);
    expect(sim.commands).toEqual(grbl.slice(0, 15));
    expect(sim.failures).toEqual([]);
  });
});

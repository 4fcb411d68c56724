import { readFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { classifyBanner, grabBanner, type ScanResult, scan } from "../src/index.js";
import { close, listen, ownLoopback, portOf, track } from "./helpers/loopback.js";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

const speaker = async (host: string, greeting: string) => {
  const s = await listen(host, (socket) => {
    socket.on("error", () => undefined);
    socket.end(greeting);
  });
  servers.push(s);
  return portOf(s);
};

describe("banners never lose an open port", () => {
  const host = ownLoopback();

  it("reports every one of 300 silent listeners, though their grabs outlast the wait", {
    tags: ["slow"],
    timeout: 60_000,
  }, async () => {
    const silent: net.Server[] = [];
    for (let i = 0; i < 300; i++)
      silent.push(await listen(host, (socket) => socket.on("error", () => undefined)));
    servers.push(...silent);
    const results: ScanResult[] = [];
    const t0 = performance.now();
    for await (const r of scan({
      targets: host,
      ports: silent.map(portOf),
      rate: 50_000,
      banners: true,
      bannerConcurrency: 32,
      // 300 grabs, 32 at a time, 400 ms each: about 4 s, far beyond the 0.2 s wait.
      bannerOptions: { helloTimeoutMs: 400, passiveWaitMs: 100 },
      waitMs: 200,
    }))
      results.push(r);
    expect(results.length).toBe(300);
    expect(new Set(results.map((r) => r.port))).toEqual(new Set(silent.map(portOf)));
    expect(results.every((r) => r.status === "open" && r.banner === undefined)).toBe(true);
    // The grabs really ran (each waited out its hello timeout): ≥ 300/32 rounds of 0.4 s.
    expect(performance.now() - t0).toBeGreaterThan(3500);
  });

  it("yields the open ports waiting for a banner when the scan is stopped", async () => {
    const silent: net.Server[] = [];
    for (let i = 0; i < 20; i++)
      silent.push(await listen(host, (socket) => socket.on("error", () => undefined)));
    servers.push(...silent);
    const controller = new AbortController();
    const results: ScanResult[] = [];
    const run = scan({
      targets: host,
      ports: silent.map(portOf),
      rate: 50_000,
      banners: true,
      bannerConcurrency: 2,
      bannerOptions: { helloTimeoutMs: 5000, passiveWaitMs: 5000 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 500);
    await expect(
      (async () => {
        for await (const r of run) results.push(r);
      })(),
    ).rejects.toMatchObject({ code: "ABORTED" });
    expect(results.length).toBe(20);
    expect(results.every((r) => r.status === "open")).toBe(true);
  });
});

describe("banners", () => {
  const host = ownLoopback();

  it.each([
    ["SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"],
    ["220 mail.example.test ESMTP Postfix\n", "smtp", "220 mail.example.test ESMTP Postfix\n"],
    [
      "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n",
      "ftp",
      "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n",
    ],
  ])("reads what a server-first service says: %j", async (greeting, service, text) => {
    const port = await speaker(host, greeting);
    const banner = await grabBanner(host, port, { helloTimeoutMs: 5000 });
    expect(banner?.service).toBe(service);
    expect(banner?.text).toBe(text);
    expect(banner?.time).toBeInstanceOf(Date);
  });

  it("sends an HTTP request with a Host header to a silent server and keeps the response head", async () => {
    let seenHost: string | undefined;
    let seenAgent: string | undefined;
    const server = track(
      http.createServer((req, res) => {
        seenHost = req.headers.host;
        seenAgent = req.headers["user-agent"];
        res.setHeader("Server", "tinkerbox-test");
        res.end("<html>hello</html>");
      }),
    );
    await new Promise<void>((r) => server.listen(0, host, () => r()));
    servers.push(server as unknown as net.Server);
    const port = (server.address() as net.AddressInfo).port;
    const banner = await grabBanner(host, port, {
      passiveWaitMs: 100,
      httpHost: "intranet.example",
      httpUserAgent: "scanner-of-example-corp",
    });
    expect(seenHost).toBe("intranet.example");
    expect(seenAgent).toBe("scanner-of-example-corp");
    expect(banner?.service).toBe("http");
    expect(banner?.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(banner?.text).toContain("Server: tinkerbox-test");
    expect(banner?.text).not.toContain("<html>");
  });

  it("reads the certificate of a TLS service", async () => {
    const fixtures = join(import.meta.dirname, "fixtures");
    const server = track(
      tls.createServer(
        {
          key: readFileSync(join(fixtures, "tls-key.pem")),
          cert: readFileSync(join(fixtures, "tls-cert.pem")),
        },
        (s) => s.end(),
      ),
    );
    await new Promise<void>((r) => server.listen(0, host, () => r()));
    servers.push(server as unknown as net.Server);
    const port = (server.address() as net.AddressInfo).port;
    const banner = await grabBanner(host, port, { tlsPorts: [port] });
    expect(banner?.service).toBe("ssl");
    expect(banner?.tls?.subject).toBe("CN=raw-scanner.test, O=tinkerbox");
    expect(banner?.tls?.issuer).toBe("CN=raw-scanner.test, O=tinkerbox");
    expect(banner?.tls?.subjectAltNames).toEqual([
      "DNS:raw-scanner.test",
      "DNS:localhost",
      "IP Address:127.0.0.1",
    ]);
    expect(banner?.tls?.validTo.getUTCFullYear()).toBe(2126);
    expect(banner?.tls?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(banner?.text).toMatch(/^TLSv1\.[23] cipher:\S+, subject:CN=raw-scanner\.test/);
  });

  it("gives up after the timeout when a server neither speaks nor answers HTTP", async () => {
    const s = await listen(host, (socket) => socket.on("error", () => undefined));
    servers.push(s);
    const t0 = performance.now();
    expect(
      await grabBanner(host, portOf(s), { helloTimeoutMs: 400, passiveWaitMs: 100 }),
    ).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("caps the bytes it keeps", async () => {
    const port = await speaker(host, "x".repeat(100_000));
    const banner = await grabBanner(host, port, { maxBytes: 512 });
    expect(banner?.text.length).toBe(512);
  });

  it("returns nothing for a closed port or a TLS port that does not speak TLS", async () => {
    const s = await listen(host);
    const port = portOf(s);
    await close(s);
    expect(await grabBanner(host, port, { helloTimeoutMs: 1000 })).toBeUndefined();
    const plain = await speaker(host, "SSH-2.0-x\r\n");
    // Not TLS: the handshake fails, then the plain grab reads the greeting.
    expect((await grabBanner(host, plain, { tlsPorts: [plain] }))?.service).toBe("ssh");
  });

  it("stops when the signal aborts", async () => {
    const s = await listen(host, (socket) => socket.on("error", () => undefined));
    servers.push(s);
    const controller = new AbortController();
    const p = grabBanner(host, portOf(s), {
      helloTimeoutMs: 10_000,
      passiveWaitMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect(await p).toBeUndefined();
  });

  it("keeps a greeting that never ends its line, without waiting for the hello timeout", async () => {
    const s = await listen(host, (socket) => {
      socket.on("error", () => undefined);
      socket.write("HELLO-NO-NEWLINE"); // and the connection stays open
    });
    servers.push(s);
    const t0 = performance.now();
    const banner = await grabBanner(host, portOf(s), { helloTimeoutMs: 10_000 });
    expect(banner?.text).toBe("HELLO-NO-NEWLINE");
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("sends the hello string given for a port instead of HTTP", async () => {
    const s = await listen(host, (socket) => {
      socket.on("error", () => undefined);
      socket.once("data", (d: Buffer) => socket.end(`you said ${d.toString("latin1")}\n`));
    });
    servers.push(s);
    const port = portOf(s);
    const banner = await grabBanner(host, port, {
      hellos: { [port]: new Uint8Array(Buffer.from("PING", "latin1")) },
      passiveWaitMs: 5000,
    });
    expect(banner?.text).toBe("you said PING\n");
  });

  it("holds a banner connection no longer than the connection timeout", async () => {
    const s = await listen(host, (socket) => socket.on("error", () => undefined));
    servers.push(s);
    const t0 = performance.now();
    expect(
      await grabBanner(host, portOf(s), { helloTimeoutMs: 10_000, connectionTimeoutMs: 300 }),
    ).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("names services from what they say", () => {
    expect(classifyBanner("+OK POP3 ready", 110)).toBe("pop");
    expect(classifyBanner("* OK IMAP4rev1", 143)).toBe("imap");
    expect(classifyBanner("RFB 003.008\n", 5900)).toBe("vnc");
    expect(classifyBanner("220 welcome", 21)).toBe("ftp");
    expect(classifyBanner("hello", 1234)).toBe("unknown");
  });

  it("grabs at most bannerConcurrency banners at once", async () => {
    let live = 0;
    let peak = 0;
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await listen(host, (socket) => {
        socket.on("error", () => undefined);
        // The scan's own probe connections are reset at once; count only those still open
        // after 50 ms: the banner grabs, which wait 150 ms for the greeting.
        let counted = false;
        setTimeout(() => {
          if (socket.destroyed) return;
          counted = true;
          live++;
          peak = Math.max(peak, live);
        }, 50);
        setTimeout(() => socket.end("SSH-2.0-slow\r\n"), 150);
        socket.on("close", () => {
          if (counted) live--;
        });
      });
      servers.push(s);
      ports.push(portOf(s));
    }
    const results: ScanResult[] = [];
    for await (const r of scan({
      targets: host,
      ports,
      rate: 10_000,
      banners: true,
      bannerConcurrency: 2,
    }))
      results.push(r);
    expect(results.filter((r) => r.banner?.service === "ssh").length).toBe(6);
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThan(0);
  });

  it("grabs 24 banners at once without a MaxListenersExceededWarning on the shared signal", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 24; i++) {
      const s = await listen(host, (socket) => {
        socket.on("error", () => undefined);
        setTimeout(() => socket.end("SSH-2.0-many\r\n"), 100);
      });
      servers.push(s);
      ports.push(portOf(s));
    }
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const results: ScanResult[] = [];
      for await (const r of scan({
        targets: host,
        ports,
        rate: 10_000,
        banners: true,
        bannerConcurrency: 24,
        signal: new AbortController().signal,
      }))
        results.push(r);
      expect(results.filter((r) => r.banner?.service === "ssh").length).toBe(24);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.includes("MaxListeners"))).toEqual([]);
  });

  it("attaches banners to open results when the scan asks for them", async () => {
    const ssh = await speaker(host, "SSH-2.0-tinkerbox\r\n");
    const smtp = await speaker(host, "220 mail.example.test ESMTP\r\n");
    const results: ScanResult[] = [];
    for await (const r of scan({ targets: host, ports: [ssh, smtp], rate: 1000, banners: true }))
      results.push(r);
    const byPort = new Map(results.map((r) => [r.port, r.banner]));
    expect(byPort.get(ssh)?.service).toBe("ssh");
    expect(byPort.get(smtp)?.text).toBe("220 mail.example.test ESMTP\r\n");
  });
});

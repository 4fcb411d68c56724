// A loopback "lab": a few services on 127.42.0.1 (SSH- and SMTP-style greeters, an HTTP server,
// a TLS server), then a masscan-style scan of all 65,535 ports of that address with banners,
// written in every masscan output format and read back. Loopback only. With root or
// cap_net_raw (and the Rust addon built) the scan sends raw SYNs (native backend); without, it
// says why and falls back to TCP connect.
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join, resolve } from "node:path";
import tls from "node:tls";
import {
  type OutputFormat,
  OutputSink,
  readEphemeralRange,
  readScan,
  type ScanResult,
  scan,
  suggestSourcePorts,
} from "@tinkerbox/raw-scanner";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const host = "127.42.0.1";
const certs = resolve("certs");

// ── the lab ──────────────────────────────────────────────────────────────────────────────
// A scanner resets the connections it probes: servers must expect ECONNRESET.
const greeter = (text: string) =>
  net.createServer((s) => {
    s.on("error", () => undefined);
    s.end(text);
  });
const servers: net.Server[] = [
  greeter("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
  greeter("220 mail.lab.test ESMTP Postfix\r\n"),
  http.createServer((_req, res) => {
    res.setHeader("Server", "lab-httpd/1.0");
    res.end("<h1>lab</h1>");
  }),
  tls.createServer(
    {
      key: readFileSync(join(certs, "lab-key.pem")),
      cert: readFileSync(join(certs, "lab-cert.pem")),
    },
    (s) => s.end(),
  ),
];
const ports: number[] = [];
for (const server of servers) {
  await new Promise<void>((done) => server.listen(0, host, () => done()));
  ports.push((server.address() as net.AddressInfo).port);
}
const tlsPort = ports[3] as number;
console.log(
  `lab on ${host}: ssh-like ${ports[0]}, smtp-like ${ports[1]}, http ${ports[2]}, tls ${tlsPort}`,
);

// ── the scan ─────────────────────────────────────────────────────────────────────────────
const startTime = new Date();
const formats: Array<[OutputFormat, string]> = [
  ["json", "scan.json"],
  ["ndjson", "scan.ndjson"],
  ["list", "scan.list"],
  ["grepable", "scan.grepable"],
  ["xml", "scan.xml"],
  ["binary", "scan.bin"],
];
const meta = { startTime, ports: [[1, 65535]] as Array<[number, number]> };
const sinks = await Promise.all(
  formats.map(([f, name]) => OutputSink.open(join(out, name), f, meta)),
);
let lastLine = "";
const run = scan({
  targets: host,
  ports: "1-65535",
  rate: 200_000,
  seed: 42n,
  banners: true,
  bannerOptions: { tlsPorts: [tlsPort], httpHost: "lab.test", passiveWaitMs: 300 },
  onProgress: (p) => {
    lastLine = `${p.phase}: ${p.done}/${p.total} probed, ${p.found} open, ${(p.rate / 1000).toFixed(1)} kpps`;
  },
});
const how =
  run.backend.name === "native"
    ? `native backend (raw SYN packets): ${run.backend.reason}`
    : `connect backend (fell back): ${run.backend.reason}`;
console.log(`scanning with the ${how}`);
const results: ScanResult[] = [];
for await (const result of run) {
  results.push(result);
  for (const sink of sinks) sink.write(result);
  const banner = result.banner
    ? ` [${result.banner.service}] ${JSON.stringify(result.banner.text)}`
    : "";
  console.log(`Discovered open port ${result.port}/tcp on ${result.address}${banner}`);
}
const seconds = (Date.now() - startTime.getTime()) / 1000;
for (const sink of sinks) await sink.close({ ...meta, endTime: new Date() });
console.log(lastLine);
console.log(
  `${run.size} probes in ${seconds.toFixed(2)} s (${run.backend.name} backend via ${run.backend.layer}); ` +
    (run.backend.name === "native"
      ? `${run.backend.stats?.sent ?? 0} SYNs sent, ${run.backend.stats?.matched ?? 0} replies matched by cookie`
      : `${run.selfConnects} self-connect(s) on the ephemeral ports discarded, not reported as open`),
);
await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));

// ── read every file back ─────────────────────────────────────────────────────────────────
for (const [format, name] of formats) {
  const records = readScan(readFileSync(join(out, name)));
  const banners = records.filter((r) => r.kind === "banner").length;
  console.log(
    `${name.padEnd(14)} ${format.padEnd(8)} ${records.length - banners} status + ${banners} banner records`,
  );
}

// ── the raw backend's source ports ───────────────────────────────────────────────────────
try {
  const eph = await readEphemeralRange();
  const s = suggestSourcePorts(eph);
  if (s)
    console.log(
      `OS ephemeral ports ${eph.first}-${eph.last}; a raw scan is best given --source-port ${s.first}-${s.last} (outside them)`,
    );
} catch (error) {
  console.log(`(ephemeral range not readable here: ${(error as Error).message})`);
}

const services = results
  .filter((r) => ports.includes(r.port))
  .map((r) => r.banner?.service ?? "none")
  .sort();
const found = results.map((r) => r.port).sort((a, b) => a - b);
const missing = ports.filter((p) => !found.includes(p));
if (missing.length > 0) throw new Error(`the scan missed lab ports ${missing.join(", ")}`);
writeFileSync(
  join(out, "result.json"),
  `${JSON.stringify(
    {
      showed: `scanned all 65,535 ports of ${host} in ${seconds.toFixed(1)} s with the ${run.backend.name} backend: ${found.length} open, including the ${ports.length} lab services with banners (${services.join(", ")}); wrote and re-read masscan JSON/NDJSON/list/grepable/XML/binary`,
      open: found,
      seconds,
      backend: { name: run.backend.name, reason: run.backend.reason },
    },
    null,
    2,
  )}\n`,
);

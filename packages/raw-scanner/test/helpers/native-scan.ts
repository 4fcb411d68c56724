/**
 * Child program of the privileged native tests: runs one scan inside the network namespace it
 * was started in and prints one JSON line with what it found. Argument: a JSON object of
 * {@link ScanOptions} (bigints as strings) plus `expectPort` (the only open port).
 */
import { type ScanResult, scan } from "../../src/index.js";

const args = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const t0 = performance.now();
/** Seconds until the last first-attempt probe left (the scan phase ended). */
let sendSeconds = 0;
let sent = 0;
/** Probes per second of the scan phase (sent ÷ time until the last first probe left). */
let scanRate = 0;
const run = scan({
  onProgress: (p) => {
    sent = p.sent;
    if (p.phase === "scan") scanRate = p.rate;
    if (p.phase !== "scan" && sendSeconds === 0) {
      sendSeconds = (performance.now() - t0) / 1000;
      // The first event after the scan phase: every first probe has left, the rate is exact.
      scanRate = p.rate;
    }
  },
  targets: args.targets as string,
  ports: args.ports as string,
  rate: args.rate as number,
  retries: (args.retries as number | undefined) ?? 0,
  retryDelayMs: (args.retryDelayMs as number | undefined) ?? 500,
  waitMs: (args.waitMs as number | undefined) ?? 1000,
  connectTimeoutMs: (args.connectTimeoutMs as number | undefined) ?? 1000,
  banners: (args.banners as boolean | undefined) ?? false,
  bannerOptions: { helloTimeoutMs: 2000 },
  show: (args.show as ScanResult["status"][] | undefined) ?? ["open"],
  ...(args.backend ? { backend: args.backend as "auto" | "native" | "js" } : {}),
  ...(args.sourcePort ? { sourcePort: args.sourcePort as string } : {}),
  seed: 7,
});
const open = new Set<string>();
const closed = new Set<string>();
let duplicates = 0;
let banners = 0;
const bannerTexts = new Set<string>();
for await (const r of run) {
  const key = `${r.address}:${r.port}`;
  const set = r.status === "open" ? open : closed;
  if (set.has(key)) duplicates++;
  set.add(key);
  if (r.banner) {
    banners++;
    bannerTexts.add(r.banner.text.trim());
  }
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    open: open.size,
    closed: closed.size,
    openPorts: [...new Set([...open].map((k) => Number(k.split(":")[1])))].sort((a, b) => a - b),
    closedPorts: [...new Set([...closed].map((k) => Number(k.split(":")[1])))].sort(
      (a, b) => a - b,
    ),
    duplicates,
    banners,
    bannerTexts: [...bannerTexts],
    seconds,
    sendSeconds: sendSeconds || seconds,
    sent,
    scanRate: scanRate || sent / (sendSeconds || seconds),
    backend: run.backend,
  }),
);

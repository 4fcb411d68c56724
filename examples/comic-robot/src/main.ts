// A comic robot, like the ones at fairs: press the button, get a comic. The button is Enter in
// the terminal (q quits); with $TINKERBOX_DEMO_OUT set (pnpm demo) or --once, a timer presses it
// once. Each press composes a seeded comic for a 58 mm printer and prints it over TCP to a
// virtual printer started in-process. The printer pulls its own cable once, mid-picture: the
// job reconnects and resumes at the band it had not confirmed. Writes to the output folder the
// hi-res PNG, the printer's received paper (PNG) and the ESC/POS job (.bin), with their sizes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  composeComic,
  decodeEscPos,
  dither,
  encodeEscPosJob,
  escPosJobBytes,
  renderPaper,
  sendToPrinter,
} from "@tinkerbox/thermal-comic";
import { startVirtualPrinter } from "@tinkerbox/thermal-comic/virtual-printer";

const demoOut = process.env.TINKERBOX_DEMO_OUT;
const out = demoOut ?? "out";
const once = Boolean(demoOut) || process.argv.includes("--once");
mkdirSync(out, { recursive: true });

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
function save(name: string, bytes: Uint8Array): void {
  writeFileSync(join(out, name), bytes);
  console.log(`  ${name.padEnd(26)} ${kb(bytes.length)}`);
}

// The printer: a 58 mm (384-dot) ESC/POS printer on loopback. It cuts the first connection
// after 30,000 bytes, as if someone tripped over the cable.
const printer = await startVirtualPrinter({ port: 0, width: 384, dropConnections: [30_000] });
console.log(`virtual printer on ${printer.url}`);

let presses = 0;
async function press(): Promise<string> {
  presses++;
  const seed = 2026 + presses - 1;
  const started = performance.now();
  const comic = await composeComic({
    seed,
    width: 384,
    height: 768,
    roiTooLarge: "skip",
    script: [{ caption: `Comic robot #${presses}` }, { balloons: ["Beep! A comic for you."] }],
  });
  const job = encodeEscPosJob(dither(comic.bitmap, { method: "atkinson" }), {
    profile: "58mm",
    caption: `seed ${seed}`,
  });
  const jobsBefore = printer.jobs.length;
  const result = await sendToPrinter(job, {
    printer: printer.url,
    profile: "58mm",
    pacing: false,
    reconnect: { retries: 3, backoffMs: 100 },
    logger: { debug() {}, info() {}, warn: (m) => console.log(`  ! ${m}`), error() {} },
    onProgress: (e) => {
      if (e.phase === "done" || e.phase === "reconnect")
        console.log(`  ${e.phase}: ${e.rowsDone}/${e.rowsTotal} rows confirmed`);
    },
  });
  // The printer ends a job when the connection closes; wait for the last one.
  while (printer.jobs.length < jobsBefore + result.attempts)
    await new Promise((r) => setTimeout(r, 10));
  const paper = printer.roll(jobsBefore);
  const expected = decodeEscPos(escPosJobBytes(job), { width: 384 });
  const same = Buffer.from(paper.dots).equals(Buffer.from(expected.dots));
  console.log(
    `press ${presses}: seed ${seed}, ${comic.layout.panels.length} panels, ${result.bytesSent} bytes in ${result.attempts} connection(s), ${Math.round(performance.now() - started)} ms; received paper ${same ? "equals" : "DIFFERS FROM"} the job`,
  );
  const name = `comic-${seed}`;
  save(`${name}.png`, comic.png);
  save(`${name}.received.png`, renderPaper(paper));
  save(`${name}.bin`, escPosJobBytes(job));
  if (!same) throw new Error("the printer's paper differs from the job");
  return `press ${presses}: a ${comic.layout.panels.length}-panel comic (seed ${seed}) printed over TCP to the virtual 58 mm printer, resumed after ${result.attempts - 1} dropped connection(s); received paper equals the job`;
}

if (once) {
  console.log("demo: the button presses itself in 200 ms");
  await new Promise((r) => setTimeout(r, 200));
  const showed = await press();
  await printer.close();
  if (demoOut) writeFileSync(join(out, "result.json"), JSON.stringify({ showed }));
} else {
  console.log("press Enter for a comic, q then Enter to quit");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "q") break;
    await press().catch((error: Error) => console.error(`  print failed: ${error.message}`));
  }
  lines.close();
  await printer.close();
}

// Plans an SVG for the A3 polargraph in assets/machine.json and writes what a plotter user
// wants to see: the drawable-area map, the commands for three controllers, a preview with the
// time estimate; then streams the Polargraph commands to the simulated plotter over TCP.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  analyseWorkspace,
  fitToPage,
  openTcpTransport,
  parseMachine,
  parseSvg,
  planDrawing,
  planToSvg,
  streamToPlotter,
  toGrbl,
  toMarlin,
  toPolargraph,
  workspaceSvg,
} from "@tinkerbox/polargraph";
import { startSimulatedPlotter } from "@tinkerbox/polargraph/simulator";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const asset = (name: string) => readFileSync(new URL(`../assets/${name}`, import.meta.url), "utf8");

const machine = parseMachine(asset("machine.json"));
const area = analyseWorkspace(machine, { cellSize: 10 });
writeFileSync(join(out, "area.svg"), workspaceSvg(machine, area));
console.log(
  `${machine.name}: ${(area.pageCoverage * 100).toFixed(0)}% of the page is in the good drawing area`,
);

const drawing = parseSvg(asset("drawing.svg"));
const plan = planDrawing(machine, fitToPage(machine, drawing.strokes), {
  onProgress: (e) => {
    if (e.done === e.total) console.log(`planned ${e.total} strokes`);
  },
  logger: console,
});
const minutes = plan.durationMs / 60_000;
console.log(
  `${plan.moveCount} moves, ${(plan.drawLength / 1000).toFixed(2)} m drawn, ${(plan.travelLength / 1000).toFixed(2)} m travel, about ${minutes.toFixed(1)} min`,
);

const polargraph = toPolargraph(plan);
writeFileSync(join(out, "plan.svg"), planToSvg(plan));
writeFileSync(join(out, "plan.gcode"), `${toMarlin(plan).join("\n")}\n`);
writeFileSync(join(out, "plan.grbl.gcode"), `${toGrbl(plan).join("\n")}\n`);
writeFileSync(join(out, "plan.polargraph.txt"), `${polargraph.join("\n")}\n`);

const plotter = await startSimulatedPlotter({ protocol: "polargraph", msPerCommand: 0 });
const transport = await openTcpTransport({ port: plotter.port });
let shown = 0;
const job = streamToPlotter(polargraph, transport, {
  onProgress: (e) => {
    const pct = Math.floor(((e.lastAcknowledgedLine + 1) / e.total) * 100);
    if (pct >= shown + 25) {
      shown = pct;
      console.log(`streamed ${pct}%`);
    }
  },
});
const result = await job.done;
await transport.close();
await plotter.close();
if (plotter.commands.length !== polargraph.length || plotter.failures.length)
  throw new Error("the simulated plotter did not run every command");
console.log(`the simulated plotter ran all ${result.total} commands`);

writeFileSync(
  join(out, "result.json"),
  JSON.stringify({
    showed: `${drawing.strokes.length} SVG strokes planned (${minutes.toFixed(1)} min, ${plan.moveCount} moves) into Marlin/GRBL/Polargraph commands + preview, streamed to the simulated plotter`,
    estimateMs: Math.round(plan.durationMs),
    goodPageFraction: area.pageCoverage,
    warnings: plan.warnings.length,
  }),
);

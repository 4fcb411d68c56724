// Composes two comic pages for an 80 mm thermal printer (576 dots wide) from the example pool
// shipped with @tinkerbox/thermal-comic: one on a random layout from a seed, with a caption and
// speech balloons, and one on a hand-sketched grid (grid.png, panels found automatically).
// Writes the hi-res PNGs, the printer-resolution PNGs and the layout JSON to $TINKERBOX_DEMO_OUT.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { composeComic, encodeGreyPng, loadTemplate } from "@tinkerbox/thermal-comic";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const here = join(import.meta.dirname, "..");

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
function save(name: string, bytes: Uint8Array): void {
  writeFileSync(join(out, name), bytes);
  console.log(`  ${name.padEnd(24)} ${kb(bytes.length)}`);
}

const started = performance.now();
const comic = await composeComic({
  seed: 2026,
  width: 576,
  height: 1600,
  script: [
    { caption: "Meanwhile, in the lab…" },
    { balloons: ["Beep boop! Is it coffee time yet?"] },
    { balloons: [{ text: "Hmm.", tail: "none" }] },
  ],
  onProgress: (event) => console.log(`  [${event.done + 1}/${event.total}] ${event.phase}`),
});
const ms = Math.round(performance.now() - started);
console.log(`random layout, seed 2026: ${comic.layout.panels.length} panels in ${ms} ms`);
for (const panel of comic.layout.panels)
  console.log(
    `  panel ${panel.id}: ${panel.image?.name ?? "(empty)"}${panel.balloons ? ` — "${panel.balloons[0]?.text}"` : ""}`,
  );
save("comic.png", comic.png);
save("comic.print.png", encodeGreyPng(comic.bitmap, { ppi: 203 }));
save("comic.json", Buffer.from(`${JSON.stringify(comic.layout, null, 2)}\n`));

const template = await loadTemplate(join(here, "grid.png"));
console.log(
  `grid.png: ${template.panels.length} panels detected in the ${template.width}×${template.height} sketch`,
);
const onGrid = await composeComic({ seed: 7, width: 576, layout: template });
save("template-comic.png", onGrid.png);
save("template-comic.print.png", encodeGreyPng(onGrid.bitmap, { ppi: 203 }));

writeFileSync(
  join(out, "result.json"),
  JSON.stringify({
    showed: `a ${comic.layout.panels.length}-panel seeded comic (576×1600 dots, caption, balloons) and a ${onGrid.layout.panels.length}-panel comic on a sketched grid: hi-res PNG, printer PNG, layout JSON`,
  }),
);

// A picture of a pipeline: its jobs by stage (columns, as the state machine runs them: one
// stage at a time, the jobs of a stage in parallel), dependency arrows, each job's
// submit → wait → status → done? loop, and optionally each job's state. Pure: returns SVG text.
import { stagesOf } from "./asl.js";
import type { Pipeline } from "./define.js";

/** Options of {@link renderPipelineSvg}. */
export interface RenderPipelineSvgOptions {
  /** Each job's state (`succeeded`, `failed`, `running`, `pending`, `stopped`, or a Livy state) colours its box. @defaultValue none (all neutral) */
  jobStates?: Readonly<Record<string, string>>;
  /** Title above the picture. @defaultValue "Livy pipeline <name>" */
  title?: string;
  /** A line under the title, e.g. the execution and its status. @defaultValue none */
  subtitle?: string;
}

const COLORS: Record<string, { fill: string; stroke: string }> = {
  succeeded: { fill: "#e6f4ea", stroke: "#1e8e3e" },
  success: { fill: "#e6f4ea", stroke: "#1e8e3e" },
  failed: { fill: "#fce8e6", stroke: "#d93025" },
  dead: { fill: "#fce8e6", stroke: "#d93025" },
  running: { fill: "#fef7e0", stroke: "#f9ab00" },
  stopped: { fill: "#f1f3f4", stroke: "#80868b" },
};
const NEUTRAL = { fill: "#e8f0fe", stroke: "#1a73e8" };

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Renders the pipeline as an SVG document (the state machine's stages, jobs and their loop). */
export function renderPipelineSvg(
  pipeline: Pipeline,
  options: RenderPipelineSvgOptions = {},
): string {
  const stages = stagesOf(pipeline);
  const boxW = 220;
  const boxH = 112;
  const colGap = 90;
  const rowGap = 28;
  const left = 130;
  const top = options.subtitle ? 96 : 76;
  const rows = Math.max(...stages.map((s) => s.length));
  const contentH = rows * boxH + (rows - 1) * rowGap;
  const width = left + stages.length * boxW + (stages.length - 1) * colGap + 130;
  const height = top + contentH + 70;
  const position = new Map<string, { x: number; y: number }>();
  stages.forEach((stage, column) => {
    const stageH = stage.length * boxH + (stage.length - 1) * rowGap;
    stage.forEach((job, row) => {
      position.set(job.name, {
        x: left + column * (boxW + colGap),
        y: top + (contentH - stageH) / 2 + row * (boxH + rowGap),
      });
    });
  });
  const midY = top + contentH / 2;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img">`,
    `<title>${xml(`${options.title ?? `Livy pipeline ${pipeline.name}`}: ${pipeline.jobs.map((j) => `${j.name}${options.jobStates?.[j.name] ? ` (${options.jobStates[j.name]})` : ""}`).join(", ")}`)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="24" y="36" font-size="20" font-weight="bold" fill="#202124">${xml(options.title ?? `Livy pipeline ${pipeline.name}`)}</text>`,
  );
  if (options.subtitle) {
    parts.push(`<text x="24" y="60" font-size="13" fill="#5f6368">${xml(options.subtitle)}</text>`);
  }
  // Stage bands: the state machine runs one stage after the other.
  stages.forEach((stage, column) => {
    const x = left + column * (boxW + colGap) - 14;
    parts.push(
      `<rect x="${x}" y="${top - 26}" width="${boxW + 28}" height="${contentH + 40}" rx="10" fill="#f8f9fa" stroke="#dadce0" stroke-dasharray="4 3"/>`,
      `<text x="${x + 10}" y="${top - 10}" font-size="11" fill="#5f6368">stage ${column + 1}${stage.length > 1 ? ` · Parallel (${stage.length} branches)` : ""}</text>`,
    );
  });
  // Start and end.
  parts.push(
    `<circle cx="48" cy="${midY}" r="16" fill="#202124"/><text x="48" y="${midY + 34}" font-size="11" text-anchor="middle" fill="#5f6368">start</text>`,
  );
  const endX = width - 52;
  parts.push(
    `<circle cx="${endX}" cy="${midY}" r="16" fill="#ffffff" stroke="#202124" stroke-width="4"/><text x="${endX}" y="${midY + 34}" font-size="11" text-anchor="middle" fill="#5f6368">succeeded</text>`,
  );
  const edge = (x1: number, y1: number, x2: number, y2: number) => {
    const dx = (x2 - x1) / 2;
    parts.push(
      `<path d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}" fill="none" stroke="#5f6368" stroke-width="1.6" marker-end="url(#arrow)"/>`,
    );
  };
  for (const job of pipeline.jobs) {
    const at = position.get(job.name)!;
    if (job.dependsOn.length === 0) edge(64, midY, at.x, at.y + boxH / 2);
    for (const dependency of job.dependsOn) {
      const from = position.get(dependency)!;
      edge(from.x + boxW, from.y + boxH / 2, at.x, at.y + boxH / 2);
    }
  }
  const dependents = new Set(pipeline.jobs.flatMap((j) => j.dependsOn));
  const lastX = left + (stages.length - 1) * (boxW + colGap);
  const laneY = top + contentH + 6;
  for (const job of pipeline.jobs) {
    if (dependents.has(job.name)) continue;
    const at = position.get(job.name)!;
    const x1 = at.x + boxW;
    const y1 = at.y + boxH / 2;
    if (at.x === lastX) {
      edge(x1, y1, endX - 18, midY);
      continue;
    }
    // A job of an earlier stage that nothing depends on: around the later stages, below them.
    parts.push(
      `<path d="M${x1},${y1} C${x1 + 40},${y1} ${x1 + 40},${laneY} ${x1 + 70},${laneY} L${endX - 70},${laneY} C${endX - 40},${laneY} ${endX - 40},${midY} ${endX - 18},${midY}" fill="none" stroke="#5f6368" stroke-width="1.6" marker-end="url(#arrow)"/>`,
    );
  }
  for (const job of pipeline.jobs) {
    const at = position.get(job.name)!;
    const state = options.jobStates?.[job.name];
    const color = (state && COLORS[state]) || NEUTRAL;
    const file =
      String(job.batch.file ?? "")
        .split("/")
        .at(-1) ?? "";
    parts.push(
      `<g><title>${xml(`${job.name}: ${job.batch.file}${state ? ` (${state})` : ""}`)}</title>`,
      `<rect x="${at.x}" y="${at.y}" width="${boxW}" height="${boxH}" rx="8" fill="${color.fill}" stroke="${color.stroke}" stroke-width="2"/>`,
      `<text x="${at.x + 12}" y="${at.y + 22}" font-size="15" font-weight="bold" fill="#202124">${xml(clip(job.name, 24))}</text>`,
      `<text x="${at.x + 12}" y="${at.y + 40}" font-size="11" fill="#5f6368">${xml(clip(file, 34))}${job.retries ? ` · retries ${job.retries}` : ""}${job.timeoutSeconds ? ` · ${job.timeoutSeconds} s` : ""}</text>`,
    );
    // The job's loop in the state machine: submit → wait → status → done? (back to wait).
    const steps = ["submit", "wait", "status", "done?"];
    const stepW = 46;
    steps.forEach((step, i) => {
      const sx = at.x + 10 + i * (stepW + 6);
      const sy = at.y + 54;
      parts.push(
        `<rect x="${sx}" y="${sy}" width="${stepW}" height="20" rx="4" fill="#ffffff" stroke="${color.stroke}" stroke-width="1"/>`,
        `<text x="${sx + stepW / 2}" y="${sy + 14}" font-size="10" text-anchor="middle" fill="#202124">${step}</text>`,
      );
    });
    const loopY = at.y + 80;
    const waitX = at.x + 10 + (stepW + 6) + stepW / 2;
    const doneX = at.x + 10 + 3 * (stepW + 6) + stepW / 2;
    parts.push(
      `<path d="M${doneX},${loopY - 6} L${doneX},${loopY} L${waitX},${loopY} L${waitX},${loopY - 6}" fill="none" stroke="#9aa0a6" stroke-width="1" marker-end="url(#arrow)"/>`,
      `<text x="${at.x + 12}" y="${at.y + 102}" font-size="11" fill="${color.stroke}">${xml(state ?? `poll every ${pipeline.pollSeconds} s`)}</text>`,
      "</g>",
    );
  }
  const failNote = pipeline.onFailure
    ? `on failure: SNS ${pipeline.onFailure.snsTopicArn.split(":").at(-1)} → Fail`
    : "on failure: Fail (LivyPipelineFailed)";
  parts.push(
    `<text x="24" y="${height - 22}" font-size="11" fill="#5f6368">${xml(`Any job ending dead, error or killed → ${failNote}. Tasks retry transient Lambda and Livy errors.`)}</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

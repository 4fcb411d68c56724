// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CodepipelineWorkerError } from "@tinkerbox/codepipeline-worker";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new CodepipelineWorkerError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/codepipeline-worker loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/codepipeline-worker imports and runs" }),
);

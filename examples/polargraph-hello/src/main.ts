// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PolargraphError } from "@tinkerbox/polargraph";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new PolargraphError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/polargraph loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/polargraph imports and runs" }),
);

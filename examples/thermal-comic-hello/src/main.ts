// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ThermalComicError } from "@tinkerbox/thermal-comic";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new ThermalComicError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/thermal-comic loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/thermal-comic imports and runs" }),
);

// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawScannerError } from "@tinkerbox/raw-scanner";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new RawScannerError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/raw-scanner loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/raw-scanner imports and runs" }),
);

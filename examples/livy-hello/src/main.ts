// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LivyError } from "@tinkerbox/livy-client";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new LivyError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/livy-client loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/livy-client imports and runs" }),
);

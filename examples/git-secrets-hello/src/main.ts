// Placeholder until the package's real example lands: proves the built package imports and runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GitSecretsError } from "@tinkerbox/git-secrets";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const error = new GitSecretsError("INVALID_ARGUMENT", "example error");
console.log(`@tinkerbox/git-secrets loaded: ${error.name} with code ${error.code}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({ showed: "@tinkerbox/git-secrets imports and runs" }),
);

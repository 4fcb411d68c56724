import type { Options } from "tsup";
import { packageConfig } from "../../tsup.config.base";

// The shared config plus one entry: the dev server's session worker is a module of its own that
// `new Worker()` loads from next to the built dev server (see src/dev-server/worker-launch.ts).
const base = packageConfig() as Options;
export default {
  ...base,
  entry: {
    ...(base.entry as Record<string, string>),
    "dev-server-worker": "src/dev-server/session-worker.ts",
  },
} satisfies Options;

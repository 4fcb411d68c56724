// `thermal-comic studio`: argv values → startComicStudio → print the address, run until Ctrl-C.
import { cpSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { examplePoolDir } from "../../adapters/assets.js";
import type { DitherMethod } from "../../core/dither.js";
import { startComicStudio } from "./server.js";

export const STUDIO_USAGE = `studio options:
  --pool <dir>           pool to compose from and edit (default ./comic-pool, created from the example pool)
  --templates <dir>      saved templates (default <pool>/templates)
  --printer <target>     virtual (default: a virtual printer in the studio), tcp://host:9100, /dev/usb/lp0, file:out.bin
  --profile <name>       printer profile (default 80mm); --dither <method> (default floyd-steinberg)
  --port <n>             loopback port (default 0: a free one, printed)`;

/** Runs the studio until SIGINT/SIGTERM; `port` is validated by the caller. */
export async function runStudioCommand(values: {
  pool?: string | undefined;
  templates?: string | undefined;
  printer?: string | undefined;
  profile?: string | undefined;
  dither?: string | undefined;
  port?: number | undefined;
}): Promise<number> {
  const pool = values.pool ? resolve(values.pool) : resolve("comic-pool");
  if (!values.pool && !existsSync(pool)) {
    cpSync(examplePoolDir(), pool, { recursive: true });
    console.log(`created ${pool} from the example pool (edit it in the studio)`);
  }
  const studio = await startComicStudio({
    pool,
    ...(values.templates && { templates: resolve(values.templates) }),
    ...(values.printer && { printer: values.printer }),
    ...(values.profile && { profile: values.profile }),
    ...(values.dither && { dither: values.dither as DitherMethod }),
    port: values.port ?? 0,
    logger: {
      debug() {},
      info() {},
      warn: (...args: unknown[]) => console.error(...args),
      error: (...args: unknown[]) => console.error(...args),
    },
  });
  console.log(
    `comic studio on ${studio.url} (pool ${pool}, printer ${values.printer ?? "virtual"}${studio.virtualPrinter ? ` at ${studio.virtualPrinter.url}` : ""}); Ctrl-C stops`,
  );
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await studio.close();
  return 0;
}

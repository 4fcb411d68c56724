import { PolargraphError } from "../errors.js";
import { startStudio } from "../services/studio/server.js";

/** `polargraph studio [--machine m.json] [--port 0]`: serves the studio until the signal aborts. */
export async function studioCommand(
  machinePath: string | undefined,
  port: string | undefined,
  io: { stdout: (t: string) => void; stderr: (t: string) => void; signal?: AbortSignal },
): Promise<number> {
  const n = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `--port must be a whole number from 0 to 65535, got ${port}`,
    );
  const studio = await startStudio({
    port: n,
    machinePath,
    logger: {
      debug() {},
      info: (...a) => io.stderr(`${a.join(" ")}\n`),
      warn: (...a) => io.stderr(`warning: ${a.join(" ")}\n`),
      error: (...a) => io.stderr(`error: ${a.join(" ")}\n`),
    },
  });
  io.stdout(
    `polargraph studio at ${studio.url}\nmachine ${machinePath ?? "(built-in example, not saved)"}\npress Ctrl-C to stop\n`,
  );
  await new Promise<void>((resolve) => {
    if (!io.signal) return;
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await studio.close();
  io.stderr("studio stopped\n");
  return 0;
}

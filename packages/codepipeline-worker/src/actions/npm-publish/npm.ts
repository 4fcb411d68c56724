import { spawn } from "node:child_process";

/** What an npm run printed and how it ended. */
export interface NpmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs npm with a private environment: only PATH and a few system variables from the worker,
 * a temporary HOME (so nothing reads or writes the user's ~/.npmrc), the given config
 * variables, no update notifier, and killed when `signal` aborts.
 */
export function runNpm(
  command: string,
  args: string[],
  options: { cwd: string; config: Record<string, string>; signal: AbortSignal; home: string },
): Promise<NpmRun> {
  const keep = ["PATH", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "NODE_EXTRA_CA_CERTS"];
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]),
  );
  env.HOME = options.home;
  env.USERPROFILE = options.home;
  for (const [key, value] of Object.entries(options.config)) env[`npm_config_${key}`] = value;
  env.npm_config_update_notifier = "false";
  env.npm_config_fund = "false";
  env.npm_config_audit = "false";
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      signal: options.signal,
      shell: process.platform === "win32",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

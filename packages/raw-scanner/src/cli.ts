#!/usr/bin/env node
import { PAUSE_EXIT_CODES, type PauseSignal, runCli } from "./cli/main.js";

const signals = Object.keys(PAUSE_EXIT_CODES) as PauseSignal[];

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // Ctrl-C, SIGTERM (kill, systemd, docker stop) and SIGHUP (closed terminal) all pause: the
  // outputs are written and paused.conf saved. A second signal ends the process at once.
  onInterrupt: (handler) => {
    const listeners = signals.map((signal) => {
      const listener = () => {
        for (const [s, l] of listeners) process.off(s, l);
        for (const s of signals) process.once(s, () => process.exit(PAUSE_EXIT_CODES[s]));
        handler(signal);
      };
      process.on(signal, listener);
      return [signal, listener] as const;
    });
    return () => {
      for (const [s, l] of listeners) process.off(s, l);
    };
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `raw-scan: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

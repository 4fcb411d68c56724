#!/usr/bin/env node
// Builds the Rust addon (native/) with `napi build --platform --release` when cargo is present;
// says clearly why it is skipped otherwise (the scanner then runs on the TCP connect backend).
// In CI (CI=true) a missing cargo is a failure: .ci/apt-packages installs it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const say = (line) => console.log(`raw-scanner native: ${line}`);

function skip(why) {
  if (process.env.CI === "true") {
    console.error(
      `raw-scanner native: ${why}; CI installs Rust (cargo in .ci/apt-packages), so this is a failure`,
    );
    process.exit(1);
  }
  say(`SKIPPED, ${why}. The package still builds; scans fall back to the TCP connect backend.`);
  process.exit(0);
}

if (process.env.RAW_SCANNER_SKIP_NATIVE === "1") {
  say("SKIPPED (RAW_SCANNER_SKIP_NATIVE=1). Scans fall back to the TCP connect backend.");
  process.exit(0);
}
if (process.platform !== "linux")
  skip(`the raw-packet backend is Linux-only (this is ${process.platform})`);
const cargo = spawnSync("cargo", ["--version"], { encoding: "utf8" });
if (cargo.error || cargo.status !== 0)
  skip("cargo not found on PATH (install Rust: https://rustup.rs or apt-get install cargo)");

const napi = join(pkg, "node_modules", ".bin", "napi");
if (!existsSync(napi)) skip("@napi-rs/cli is not installed (run pnpm install)");
say(`building with ${cargo.stdout.trim()}`);
const args = [
  "build",
  "--platform",
  "--release",
  "--manifest-path",
  "native/Cargo.toml",
  "--output-dir",
  "native",
  "--no-js",
];
const built = spawnSync(napi, args, { cwd: pkg, stdio: "inherit" });
if (built.status !== 0) {
  console.error(
    `raw-scanner native: napi ${args.join(" ")} failed (exit ${built.status ?? built.signal})`,
  );
  process.exit(1);
}
say("built native/raw-scanner.<platform>.node");

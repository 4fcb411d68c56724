import { execFileSync } from "node:child_process";

/**
 * Whether a peer tool is missing, as a value for `it.skipIf` / `describe.skipIf`: false when it
 * runs, else the reason. In CI (`CI=true`) every tool .ci/apt-packages installs must be there,
 * so a missing one throws and fails the file instead of skipping it.
 */
export function missingTool(command: string, args: string[]): false | string {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 60_000 });
    return false;
  } catch (error) {
    const reason = `${command} is not installed here (apt-get install $(grep -v '^#' .ci/apt-packages))`;
    if (process.env.CI === "true") {
      throw new Error(`${reason}; CI installs it, so this is a failure`, { cause: error });
    }
    return reason;
  }
}

/** Whether this process may create network namespaces (root and iproute2/util-linux present). */
export function missingNetns(): false | string {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === "true") throw new Error("the root-tagged tests need root in CI");
    return "needs root (network namespaces)";
  }
  return missingTool("unshare", ["--version"]);
}

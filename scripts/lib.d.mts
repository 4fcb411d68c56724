// Types for lib.mjs, so the TypeScript tests can share its helpers.
import type { SpawnOptions } from "node:child_process";

export const root: string;
export function workspaces(
  group: "packages" | "examples",
): Array<{ name: string; dir: string; pkg: Record<string, unknown> }>;
export function run(command: string, args: string[], options?: SpawnOptions): Promise<number>;
export function pnpmCommand(): [string, string[]];
export function bin(name: string): string;
export function seconds(startMs: number): string;

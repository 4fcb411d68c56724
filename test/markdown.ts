// Reads the shell commands out of the repository's Markdown, for test/readme-commands.test.ts.

/** A fenced block a Markdown file marks `<!-- runnable -->` (or `<!-- runnable cwd=some/dir -->`). */
export interface RunnableBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** Folder to run in, relative to the repository root ("." unless the marker says `cwd=`). */
  cwd: string;
  /** The block's text, run as one `sh -e` script. */
  script: string;
}

const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*$/;
const marker = /^\s*<!--\s*runnable(?:\s+cwd=(\S+))?\s*-->\s*$/;
const shellLanguages = new Set(["sh", "bash", "shell", "console", "zsh"]);

/**
 * Every fenced block preceded by a `<!-- runnable -->` marker line (blank lines between the
 * marker and the fence are allowed). A marker not followed by a fence is an error, so a typo
 * cannot silently drop a block from the test.
 */
export function runnableBlocks(markdown: string): RunnableBlock[] {
  const lines = markdown.split("\n");
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const mark = marker.exec(lines[i]!);
    if (!mark) continue;
    let open = i + 1;
    while (open < lines.length && lines[open]!.trim() === "") open++;
    const opening = fence.exec(lines[open] ?? "");
    if (!opening) {
      throw new Error(`line ${i + 1}: <!-- runnable --> is not followed by a fenced code block`);
    }
    const close = lines.findIndex((line, index) => index > open && line.trim() === opening[2]!);
    if (close === -1) throw new Error(`line ${open + 1}: the fenced block is never closed`);
    blocks.push({
      line: open + 1,
      cwd: mark[1] ?? ".",
      script: lines.slice(open + 1, close).join("\n"),
    });
    i = close;
  }
  return blocks;
}

/**
 * Every command a reader would type from the Markdown: each line of a shell-language fenced
 * block, and each inline code span, split at `&&`, `||` and `;`. Comments and prompts (`$ `) are
 * dropped.
 */
export function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  const lines = markdown.split("\n");
  let inFence: { marker: string; shell: boolean } | undefined;
  for (const line of lines) {
    const opening = fence.exec(line);
    if (inFence) {
      if (line.trim() === inFence.marker) inFence = undefined;
      else if (inFence.shell) commands.push(...splitCommand(line.replace(/^\s*\$\s+/, "")));
      continue;
    }
    if (opening) {
      inFence = { marker: opening[2]!, shell: shellLanguages.has(opening[3]!.toLowerCase()) };
      continue;
    }
    for (const span of line.matchAll(/`([^`]+)`/g)) commands.push(...splitCommand(span[1]!));
  }
  return commands;
}

function splitCommand(text: string): string[] {
  const withoutComment = text.replace(/(^|\s)#.*$/, "");
  return withoutComment
    .split(/\s*(?:&&|\|\||;)\s*/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * For a pnpm command line (`pnpm <cmd> …` or `npx -y pnpm@<version> <cmd> …`), the command word
 * and its arguments; undefined for anything else. Optional arguments in brackets (`[package]`)
 * are dropped and placeholders (`<example>`) kept as plain words.
 */
export function pnpmInvocation(command: string): { word: string; args: string[] } | undefined {
  const match = /^(?:pnpm|npx(?:\s+-y)?\s+pnpm@[\w.-]+)\s+(.+)$/.exec(command);
  if (!match) return undefined;
  const words = match[1]!
    .replace(/\[[^\]]*\]/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word.replace(/^<(.+)>$/, "$1"));
  const [word, ...args] = words;
  return word ? { word, args } : undefined;
}

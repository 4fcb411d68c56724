// git-seal against the real git-crypt on a repository of 2,000 small encrypted files, both
// measured in this run: `git add` + commit, a fresh checkout after unlock, and `status`.
// Goals: ≥ 10× for add+commit and checkout, ≥ 50× for status. Exits 1 when a goal is missed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const FILES = Number(process.env.BENCH_FILES ?? 2000);
const pkg = resolve(import.meta.dirname, "..");
const cli = join(pkg, "dist", "cli.cjs"); // what the `git-seal` bin runs
// Always measure the current sources: build dist/ (the same build that is published) first.
execFileSync("npx", ["tsup"], { cwd: pkg, stdio: ["ignore", "ignore", "inherit"] });
if (spawnSync("git-crypt", ["--version"]).status !== 0) {
  console.error(
    "git-crypt is not installed: the benchmark needs the real peer (apt-get install git-crypt)",
  );
  process.exit(1);
}

const root = mkdtempSync(join(tmpdir(), "git-seal-bench-"));
const home = join(root, "home");
mkdirSync(home);
writeFileSync(
  join(home, ".gitconfig"),
  "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n",
);
Object.assign(process.env, {
  HOME: home,
  GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
  GIT_CONFIG_NOSYSTEM: "1",
});

function run(cwd: string, file: string, args: string[]): void {
  const r = spawnSync(file, args, { cwd, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${r.stderr}`);
}
const git = (cwd: string, ...args: string[]) => run(cwd, "git", args);
const seal = (cwd: string, ...args: string[]) => run(cwd, process.execPath, [cli, ...args]);
const gitCrypt = (cwd: string, ...args: string[]) => run(cwd, "git-crypt", args);

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function populate(dir: string, filter: string): void {
  writeFileSync(join(dir, ".gitattributes"), `secrets/** filter=${filter} diff=${filter}\n`);
  mkdirSync(join(dir, "secrets"));
  for (let i = 0; i < FILES; i++) {
    writeFileSync(
      join(dir, "secrets", `service-${i}.env`),
      `SERVICE=${i}\nPASSWORD=pw-${i}-${"x".repeat(i % 40)}\n`,
    );
  }
}

interface Tool {
  name: string;
  init(dir: string): void;
  exportKey(dir: string, file: string): void;
  unlock(dir: string, file: string): void;
  status(dir: string): void;
  filter: string;
}
const tools: Tool[] = [
  {
    name: "git-seal",
    filter: "git-seal",
    init: (d) => seal(d, "init"),
    exportKey: (d, f) => seal(d, "export-key", f),
    unlock: (d, f) => seal(d, "unlock", f),
    status: (d) => seal(d, "status"),
  },
  {
    name: "git-crypt",
    filter: "git-crypt",
    init: (d) => gitCrypt(d, "init"),
    exportKey: (d, f) => gitCrypt(d, "export-key", f),
    unlock: (d, f) => gitCrypt(d, "unlock", f),
    status: (d) => gitCrypt(d, "status"),
  },
];

const results: Record<string, Record<string, number>> = {};
const clones = new Map<string, string>();
try {
  for (const tool of tools) {
    // git-crypt takes many seconds per step, so it runs once; git-seal takes the median of three.
    const rounds = tool.name === "git-crypt" ? 1 : 3;
    const addCommit: number[] = [];
    const checkout: number[] = [];
    const coldStatus: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const dir = join(root, `${tool.name}-${round}`);
      mkdirSync(dir);
      git(dir, "init", "-q");
      tool.init(dir);
      populate(dir, tool.filter);
      addCommit.push(
        time(() => {
          git(dir, "add", ".");
          git(dir, "commit", "-q", "-m", "2000 secrets");
        }),
      );
      const key = join(root, `${tool.name}-${round}.key`);
      tool.exportKey(dir, key);
      const clone = join(root, `${tool.name}-${round}-clone`);
      git(root, "clone", "-q", dir, clone);
      checkout.push(time(() => tool.unlock(clone, key)));
      // The first status in a fresh clone reads every blob (git-seal's blob-id cache is empty).
      coldStatus.push(time(() => tool.status(clone)));
      clones.set(tool.name, clone);
    }
    results[tool.name] = {
      "add + commit": median(addCommit),
      "checkout after unlock": median(checkout),
      "status, first in clone": median(coldStatus),
    };
    console.log(
      `${tool.name}: ${Object.entries(results[tool.name] as object)
        .map(([k, v]) => `${k} ${(v as number).toFixed(0)} ms`)
        .join(", ")}`,
    );
  }
  // Repeated status runs are interleaved, so both tools see the same machine load: three
  // rounds of one git-crypt run (≈ 10 s) and five git-seal runs, medians compared.
  const status: Record<string, number[]> = { "git-seal": [], "git-crypt": [] };
  for (let round = 0; round < 3; round++) {
    for (const tool of tools) {
      const clone = clones.get(tool.name) as string;
      for (let i = 0; i < (tool.name === "git-crypt" ? 1 : 5); i++) {
        status[tool.name]?.push(time(() => tool.status(clone)));
      }
    }
  }
  for (const tool of tools) {
    (results[tool.name] as Record<string, number>).status = median(status[tool.name] as number[]);
    console.log(`${tool.name}: status ${median(status[tool.name] as number[]).toFixed(0)} ms`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const goals: Record<string, number | undefined> = {
  "add + commit": 10,
  "checkout after unlock": 10,
  status: 50,
  "status, first in clone": undefined,
};
let missed = 0;
console.log(`\n${FILES} files              | git-seal ms | git-crypt ms | speed-up | goal`);
for (const [step, goal] of Object.entries(goals)) {
  const ours = results["git-seal"]?.[step] as number;
  const theirs = results["git-crypt"]?.[step] as number;
  const ratio = theirs / ours;
  const verdict =
    goal === undefined ? "(no goal)" : `≥ ${goal}× ${ratio >= goal ? "met" : "MISSED"}`;
  if (goal !== undefined && ratio < goal) missed++;
  console.log(
    `${step.padEnd(22)} | ${ours.toFixed(0).padStart(11)} | ${theirs.toFixed(0).padStart(12)} | ${ratio.toFixed(1).padStart(7)}× | ${verdict}`,
  );
}
process.exitCode = missed ? 1 : 0;

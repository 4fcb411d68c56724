// The filter's cost over plain git, the leak guard on a big commit, and scan throughput.
// 1. 2,000 small files: `git add` + commit and a checkout that rewrites every file, in a plain
//    repository, a git-seal one and a git-crypt one, all in this run. Goals: git-seal within
//    1.5× (add + commit) and 2× (checkout) of plain git.
// 2. `git-seal guard` (the pre-commit hook, CLI start-up included) on a commit of 1,000 files,
//    next to a peer run in the same rounds: Node's start-up plus plain git listing the staged
//    blobs and piping them through `git cat-file --batch`. Goal under 1 s.
// 3. `scan` over ~32 MiB of source-like text in MiB/s, next to GNU grep counting the generic
//    rule's keywords over the same files in the same rounds, and the published figures of the
//    secret scanners (none is installable here: gitleaks and trufflehog are Go binaries with no
//    Debian package in bookworm; their own docs quote ~10 MiB/s and ~6 MiB/s). Goal ≥ 50 MiB/s.
// Exits 1 when a goal is missed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { scan } from "../src/index.js";

const FILES = Number(process.env.BENCH_FILES ?? 2000);
const pkg = resolve(import.meta.dirname, "..");
const cli = join(pkg, "dist", "cli.cjs");
execFileSync("npx", ["tsup"], { cwd: pkg, stdio: ["ignore", "ignore", "inherit"] });
const hasGitCrypt = spawnSync("git-crypt", ["--version"]).status === 0;
if (!hasGitCrypt) console.warn("git-crypt is not installed: its column is left out");

const root = mkdtempSync(join(tmpdir(), "git-seal-bench-teams-"));
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

function run(cwd: string, file: string, args: string[]): { stderr: string; status: number | null } {
  const r = spawnSync(file, args, { cwd, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 28 });
  return { stderr: String(r.stderr), status: r.status };
}
function must(cwd: string, file: string, args: string[]): void {
  const r = run(cwd, file, args);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${r.stderr}`);
}
const git = (cwd: string, ...args: string[]) => must(cwd, "git", args);
const time = (fn: () => void) => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

function populate(dir: string, filter: string | undefined): void {
  if (filter)
    writeFileSync(join(dir, ".gitattributes"), `secrets/** filter=${filter} diff=${filter}\n`);
  mkdirSync(join(dir, "secrets"));
  for (let i = 0; i < FILES; i++) {
    writeFileSync(
      join(dir, "secrets", `service-${i}.env`),
      `SERVICE=${i}\nPASSWORD=pw-${i}-${"x".repeat(i % 40)}\n`,
    );
  }
}

const kinds = [
  { name: "plain git", filter: undefined, init: (_d: string) => {} },
  {
    name: "git-seal",
    filter: "git-seal",
    init: (d: string) => must(d, process.execPath, [cli, "init"]),
  },
  ...(hasGitCrypt
    ? [
        {
          name: "git-crypt",
          filter: "git-crypt",
          init: (d: string) => must(d, "git-crypt", ["init"]),
        },
      ]
    : []),
];
const filterCost: Record<string, { add: number[]; checkout: number[] }> = {};
let missed = 0;
try {
  // Rounds interleave the kinds so all see the same machine load; git-crypt (tens of seconds) once.
  // BENCH_ONLY=guard,scan skips the filter comparison (git-crypt alone takes many minutes).
  const only = process.env.BENCH_ONLY?.split(",");
  const wants = (part: string) => !only || only.includes(part);
  for (let round = 0; wants("filter") && round < 3; round++) {
    for (const kind of kinds) {
      if (kind.name === "git-crypt" && round > 0) continue;
      const dir = join(root, `${kind.name.replace(" ", "-")}-${round}`);
      mkdirSync(dir);
      git(dir, "init", "-q");
      kind.init(dir);
      populate(dir, kind.filter);
      filterCost[kind.name] ??= { add: [], checkout: [] };
      const entry = filterCost[kind.name] as { add: number[]; checkout: number[] };
      entry.add.push(
        time(() => {
          git(dir, "add", ".");
          git(dir, "commit", "-q", "-m", "files");
        }),
      );
      rmSync(join(dir, "secrets"), { recursive: true });
      entry.checkout.push(time(() => git(dir, "checkout", "--", "secrets")));
      console.log(
        `round ${round} ${kind.name}: add + commit ${entry.add.at(-1)?.toFixed(0)} ms, checkout ${entry.checkout.at(-1)?.toFixed(0)} ms`,
      );
    }
  }
  const plain = filterCost["plain git"] ?? { add: [Number.NaN], checkout: [Number.NaN] };
  if (wants("filter"))
    console.log(`\n${FILES} files       | add + commit ms | × plain | checkout ms | × plain`);
  for (const kind of wants("filter") ? kinds : []) {
    const c = filterCost[kind.name] as { add: number[]; checkout: number[] };
    const addRatio = median(c.add) / median(plain.add);
    const coRatio = median(c.checkout) / median(plain.checkout);
    console.log(
      `${kind.name.padEnd(16)} | ${median(c.add).toFixed(0).padStart(15)} | ${addRatio.toFixed(2).padStart(6)}× | ${median(c.checkout).toFixed(0).padStart(11)} | ${coRatio.toFixed(2).padStart(6)}×`,
    );
    if (kind.name === "git-seal") {
      const addOk = addRatio <= 1.5;
      const coOk = coRatio <= 2;
      console.log(
        `git-seal goals: add + commit ≤ 1.5× ${addOk ? "met" : "MISSED"}, checkout ≤ 2× ${coOk ? "met" : "MISSED"}`,
      );
      if (!addOk) missed++;
      if (!coOk) missed++;
    }
  }

  // 2. The guard on a commit of 1,000 files (what the pre-commit hook runs, start-up included).
  const guarded = join(root, "guard");
  mkdirSync(guarded);
  git(guarded, "init", "-q");
  must(guarded, process.execPath, [cli, "init"]);
  writeFileSync(join(guarded, ".gitattributes"), "*.env filter=git-seal diff=git-seal\n");
  mkdirSync(join(guarded, "src"));
  for (let i = 0; i < 1000; i++) {
    writeFileSync(
      join(guarded, "src", `module-${i}.ts`),
      `export const name${i} = "module ${i}";\nexport function f${i}(x: number) {\n  return x * ${i};\n}\n// api_key = process.env.KEY_${i}\n`.repeat(
        3,
      ),
    );
  }
  git(guarded, "add", ".");
  // The peer, in the same rounds: the least any pre-commit check of this commit pays — Node's
  // start-up plus git listing the staged blobs and handing over their content.
  const peer = () => {
    must(guarded, process.execPath, ["-e", "0"]);
    const listing = spawnSync("git", ["diff", "--cached", "--raw", "-z", "--no-renames"], {
      cwd: guarded,
      maxBuffer: 1 << 28,
    });
    const oids = String(listing.stdout)
      .split("\0")
      .filter((f) => f.startsWith(":"))
      .map((f) => f.split(" ")[3]);
    const blobs = spawnSync("git", ["cat-file", "--batch"], {
      cwd: guarded,
      input: `${oids.join("\n")}\n`,
      maxBuffer: 1 << 28,
    });
    if (blobs.status !== 0 || oids.length !== 1001) throw new Error("peer: git cat-file failed");
  };
  const guardRuns: number[] = [];
  const peerRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    guardRuns.push(time(() => must(guarded, process.execPath, [cli, "guard"])));
    peerRuns.push(time(peer));
  }
  const guardMs = median(guardRuns);
  const peerMs = median(peerRuns);
  console.log(
    `\nguard on a commit of 1,000 files: ${guardMs.toFixed(0)} ms (median of 5; goal < 1000 ms ${guardMs < 1000 ? "met" : "MISSED"}); peer (node start-up + git diff --cached --raw + git cat-file --batch of the same blobs): ${peerMs.toFixed(0)} ms; guard = ${(guardMs / peerMs).toFixed(2)}× the peer`,
  );
  if (guardMs >= 1000) missed++;

  // 3. Scan throughput over ~32 MiB of source-like text with a few planted secrets.
  const corpus = join(root, "corpus");
  mkdirSync(corpus);
  git(corpus, "init", "-q");
  const line = (i: number) =>
    i % 997 === 0
      ? `const token = "${"Zx8Qw3Rt9LpV2mNb7Ks4"}"; // planted\n`
      : `  const value${i % 100} = compute(input[${i % 50}], { retries: ${i % 7}, label: "item-${i}" });\n`;
  const target = 32 * 1024 * 1024;
  let written = 0;
  for (let f = 0; written < target; f++) {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 256 * 1024; i++) {
      const l = line(f * 10_000 + i);
      parts.push(l);
      size += l.length;
    }
    writeFileSync(join(corpus, `file-${f}.ts`), parts.join(""));
    written += size;
  }
  // Peer in the same rounds: GNU grep counting lines with the generic rule's keywords
  // (case-insensitive) over the same files — a lower bound of what reading and matching cost.
  const files = readdirSync(corpus).filter((f) => f.endsWith(".ts"));
  const keywords =
    "secret|token|passw(or)?d|pwd|api[_-]?key|access[_-]?key|credential|auth[_-]?key|private[_-]?key";
  const scans: { ms: number; bytes: number; findings: number }[] = [];
  const greps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const r = await scan({ dir: corpus });
    scans.push({ ms: performance.now() - start, bytes: r.bytes, findings: r.findings.length });
    greps.push(
      time(() => {
        const g = spawnSync("grep", ["-c", "-i", "-E", keywords, ...files], {
          cwd: corpus,
          maxBuffer: 1 << 24,
        });
        if (g.status !== 0) throw new Error(`grep failed: ${g.stderr}`);
      }),
    );
  }
  const best = scans.sort((a, b) => a.ms - b.ms)[
    Math.floor(scans.length / 2)
  ] as (typeof scans)[number];
  const mibs = best.bytes / 1024 / 1024 / (best.ms / 1000);
  const grepMibs = best.bytes / 1024 / 1024 / (median(greps) / 1000);
  console.log(
    `\nscan: ${(best.bytes / 1024 / 1024).toFixed(1)} MiB in ${best.ms.toFixed(0)} ms = ${mibs.toFixed(1)} MiB/s (median of 5; ${best.findings} planted secrets found); peer grep -c -i -E (keywords only) ${grepMibs.toFixed(1)} MiB/s, scan = ${(mibs / grepMibs).toFixed(2)}× grep; reference figures: gitleaks ~10 MiB/s (${(mibs / 10).toFixed(1)}×), trufflehog ~6 MiB/s (${(mibs / 6).toFixed(1)}×); goal ≥ 50 MiB/s ${mibs >= 50 ? "met" : "MISSED"}`,
  );
  if (mibs < 50) missed++;
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.exitCode = missed ? 1 : 0;

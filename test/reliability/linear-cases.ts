// The inputs of linear-time.test.ts and their measurement, run in a child process: a parser
// that backtracks again holds its thread without end, and only a process can be killed then
// (a test's timeout cannot interrupt synchronous code).
//
//   bun test/reliability/linear-cases.ts CASE N RUNS DIR   -> {"small": ms, "large": ms}
//
// DIR is a scratch dir the caller made (and removes, also when this process is killed).
//
// CPU milliseconds of parsing an input of size N and one of size 4N: each the median of RUNS
// runs, after one run that warms the code up.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { parseDockerignore } from "../../src/core/build/dockerignore.ts";
import { loadConfig, parseConfigText } from "../../src/core/config/config.ts";
import { parseRepoConfigYaml } from "../../src/core/config/older-config.ts";
import { parseLock } from "../../src/core/sync/lock.ts";

interface Case<T> {
  make(n: number): T;
  run(input: T): unknown;
}

const star = parseDockerignore("*a*a*a*a*a*a*a*a*b\n", ".dockerignore");
const deep = parseDockerignore("**/**/**/**/**/**/x\n", ".dockerignore");
let root = "";
let round = 0;

export const CASES: Record<string, Case<string>> = {
  // A heading whose name holds a long run of spaces, and one made of many dashes.
  "changelog-heading": {
    make: (n) => `# a${" ".repeat(n)}b-1.0.0\n- 2026-01-01\n- x\n# ${"a-".repeat(n)}0.9.0\n- 2026-01-01\n`,
    run: (text) => parseChangelog(text),
  },
  // Every literal part is there (a b at the end), so the pattern must really be run: a
  // backtracking matcher tries each way of splitting the a's among the stars.
  "dockerignore-stars": { make: (n) => `${"a".repeat(n)}/b`, run: (path) => star.matches(path) },
  // The x deep down: every ancestor is tried on the way to it, with and without parent state.
  "dockerignore-deep": { make: (n) => `${"a/".repeat(n)}x/y`, run: (path) => deep.matches(path) },
  "dockerignore-deep-ancestors": { make: (n) => `${"a/".repeat(n)}x/y`, run: (path) => deep.evaluate(path, null) },
  // Thousands of tasks through loadConfig, as every command reads dt.yaml. Each run writes the
  // file anew, so the cache (keyed by size and mtime) misses.
  "config-tasks": {
    make: (n) => `tasks:\n${Array.from({ length: n }, (_, i) => `  t${i}: [echo ${i}, echo b]`).join("\n")}\n`,
    run: (text) => {
      writeFileSync(join(root, "dt.yaml"), `${text}# ${round++}\n`);
      return loadConfig(root, ".");
    },
  },
  // Many aliases of one anchor, each of them one value (4N stays within the alias budget).
  "config-aliases": {
    make: (n) => `tasks:\n  t0: &cmd echo a\n${Array.from({ length: n }, (_, i) => `  t${i + 1}: *cmd`).join("\n")}\n`,
    run: (text) => parseConfigText(text, "dt.yaml"),
  },
  "repo-config-registries": {
    make: (n) => `repo_info: {repo_name: orders}\ncontainer_registry_info:\n${Array.from({ length: n }, (_, i) => `  r${i}: reg${i}.example/acme`).join("\n")}\n`,
    run: (text) => parseRepoConfigYaml(text, "repo_config.yaml"),
  },
  "sync-lock-files": {
    make: (n) =>
      `version: 1\nfrom: "helpers_root"\ncommit: "${"0".repeat(40)}"\nfiles:\n${Array.from(
        { length: n },
        (_, i) => `  f${i}.txt:\n    sha256: "${"a".repeat(64)}"\n    executable: false`,
      ).join("\n")}\n`,
    run: (text) => parseLock(text),
  },
};

function cpuMs(input: string, run: (input: string) => unknown, runs: number): number {
  run(input);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = process.cpuUsage();
    run(input);
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

if (import.meta.main) {
  const [name, n, runs] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
  const c = CASES[name];
  if (!c) throw new Error(`no case ${name}`);
  root = process.argv[5]!;
  const small = cpuMs(c.make(n), c.run, runs);
  const large = cpuMs(c.make(4 * n), c.run, runs);
  console.log(JSON.stringify({ small, large }));
}

// Inputs that made dt's parsers superlinear: a changelog heading with a long run of spaces
// (80,000 took 20 s), dockerignore patterns like `*a*a*a*a*a*a*a*a*b` (33 s on one 60-char
// name) and `**/**/**/**/**/**/x` (240 s on a deep path), a dt.yaml of 20,000 tasks (30 s), a
// sync lock of thousands of files, and YAML aliases: nested ones expand without end (389 KB
// still running after 11 minutes), many plain ones were resolved by walking the whole document
// each. Each parser now takes time linear in its input: an input 4x as large may take at most
// about 4x as long (the median CPU time of a few runs; 8x allowed for noise on a busy machine).
// The timing runs in a child process (linear-cases.ts) that is killed at a deadline, so a
// parser that backtracks again fails its test instead of stalling the suite.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { parseDockerignore } from "../../src/core/build/dockerignore.ts";
import { parseConfigText } from "../../src/core/config/config.ts";
import { parseRepoConfigYaml } from "../../src/core/config/older-config.ts";
import { parseLock } from "../../src/core/sync/lock.ts";
import { DtError } from "../../src/core/base/errors.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { changelog } from "./helpers.ts";

const ALLOWED_GROWTH = 8;
const live = new Set<ReturnType<typeof Bun.spawn>>();

afterAll(() => {
  for (const proc of live) proc.kill("SIGKILL");
  cleanupAll();
});

/**
 * How much more CPU time case `name` of linear-cases.ts takes at size 4n than at n (the median
 * of `runs`), measured in a child killed after `deadlineMs`.
 */
async function growth(name: string, n: number, runs: number, deadlineMs: number) {
  const scratch = testdir().path;
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "linear-cases.ts"), name, String(n), String(runs), scratch], {
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), deadlineMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  live.delete(proc);
  if (code !== 0) throw new Error(`${name}: ${proc.signalCode === "SIGKILL" ? `still running after ${deadlineMs} ms` : `exit ${code}`}\n${stderr}`);
  const { small, large } = JSON.parse(stdout) as { small: number; large: number };
  return { name, n, small, large, ratio: large / Math.max(small, 0.5) };
}

async function expectLinear(name: string, n: number, runs: number, deadlineMs: number) {
  const g = await growth(name, n, runs, deadlineMs);
  expect(g.ratio, JSON.stringify(g)).toBeLessThanOrEqual(ALLOWED_GROWTH);
}

/** Runs `f` and returns the DtError it throws (fails the test if it throws none or another). */
function thrown(f: () => unknown): DtError {
  try {
    f();
  } catch (e) {
    if (e instanceof DtError) return e;
    throw e;
  }
  throw new Error("expected a DtError");
}

/** A dozen levels of ten aliases each: 10^12 values if expanded. */
function laughs(): string[] {
  const levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 12; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(", ")}]`);
  return levels;
}

describe("changelog.txt", () => {
  test(
    "a heading with a long run of spaces inside it (the 80,000-space heading), and one of many dashes",
    async () => {
      // Both headings are valid: the name holds the spaces, or the dashes.
      const entries = parseChangelog(`# a${" ".repeat(10)}b-1.0.0\n- 2026-01-01\n# ${"a-".repeat(3)}0.9.0\n- 2026-01-01\n`);
      expect(entries.map((e) => [e.name, e.version])).toEqual([
        [`a${" ".repeat(10)}b`, "1.0.0"],
        ["a-a-a", "0.9.0"],
      ]);
      await expectLinear("changelog-heading", 250_000, 5, 20_000);
    },
    25_000,
  );
});

describe(".dockerignore", () => {
  test(
    "`*a*a*a*a*a*a*a*a*b` against a long name that almost matches",
    async () => {
      const m = parseDockerignore("*a*a*a*a*a*a*a*a*b\n", ".dockerignore");
      expect(m.matches("xaxaxaxaxaxaxaxaxb")).toBe(true);
      expect(m.matches("aaaa/b")).toBe(false);
      await expectLinear("dockerignore-stars", 1_000_000, 5, 20_000);
    },
    25_000,
  );

  test(
    "`**/**/**/**/**/**/x` against a deep path, with and without the walk's parent state",
    async () => {
      const m = parseDockerignore("**/**/**/**/**/**/x\n", ".dockerignore");
      expect(m.matches("a/b/c/x")).toBe(true);
      expect(m.matches("a/a/a/x/y")).toBe(true);
      expect(m.evaluate("a/a/a/x/y", null).excluded).toBe(true);
      // Sizes where the 4x input still measures the matcher, not the allocator: on a slower
      // machine matches() grew 4.5-8x from 200,000 segments to 800,000 (8.5x under the suite's
      // load) and 2-2.3x from 50,000; evaluate() 5-8x from 500,000 (14x under load), 3.7-5.6x
      // from 200,000 (8.5x under load) and 1.6-2.2x from 50,000. The per-ancestor walk these
      // guard against grows 16x at any size (at 200,000 segments, tens of seconds: past the deadline).
      await expectLinear("dockerignore-deep", 50_000, 7, 12_000);
      await expectLinear("dockerignore-deep-ancestors", 50_000, 7, 12_000);
    },
    28_000,
  );
});

describe("dt.yaml", () => {
  test(
    "thousands of tasks, each a list (through loadConfig, as every command reads it)",
    async () => {
      expect(parseConfigText("tasks:\n  a: [echo 1, echo b]\n", "dt.yaml").values.tasks).toEqual({ a: ["echo 1", "echo b"] });
      await expectLinear("config-tasks", 1_500, 3, 25_000);
    },
    28_000,
  );

  test(
    "many aliases of one anchor (each used to be resolved by a walk of the whole document)",
    async () => {
      expect(parseConfigText("tasks:\n  t0: &cmd echo a\n  t1: *cmd\n", "dt.yaml").values.tasks).toEqual({ t0: "echo a", t1: "echo a" });
      await expectLinear("config-aliases", 1_200, 5, 20_000);
    },
    25_000,
  );

  test(
    "aliases that would expand to a million values: exit 2 at the alias that passes the budget, at once, through the binary",
    async () => {
      // Each task names the first one's list of 1,000 commands: valid YAML, valid tasks.
      const tasks = [`  t0: &cmds [${Array(1000).fill("echo").join(", ")}]`];
      for (let i = 1; i < 1000; i++) tasks.push(`  t${i}: *cmds`);
      const root = makeRepo(join(testdir().path, "aliases"), {
        "dt.yaml": `tasks:\n${tasks.join("\n")}\n`,
        "changelog.txt": changelog("aliases"),
        "devops/.keep": "",
      });
      const r = await dt(["config"], { cwd: root, timeoutMs: 15_000 });
      expect(r.code).toBe(2);
      const where = /^error: dt\.yaml:(\d+):8: aliases expand to more than 10,000 values$/m.exec(r.stderr);
      expect(where, r.stderr).not.toBeNull();
      // At the alias of a task that passes 10,000 values (each list counts its 1,000 and itself).
      expect(Number(where![1])).toBeGreaterThan(2);
      expect(Number(where![1])).toBeLessThan(20);
      expect(r.stderr).toContain("fix: write the values out, or use fewer nested aliases");
    },
    20_000,
  );
});

describe("repo_config.yaml and .dt/sync.lock", () => {
  test(
    "repo_config.yaml: many registries in linear time; nested aliases elsewhere are never expanded",
    async () => {
      const text = `${laughs().join("\n")}\nname: &name orders\nrepo_info: {repo_name: *name}\nother: *l11\n`;
      const layer = parseRepoConfigYaml(text, "repo_config.yaml");
      // The older toolchain's loader follows the alias; so does dt, to the one value it reads.
      expect(layer.values.name).toBe("orders");
      expect(layer.sources.name).toBe("repo_config.yaml:13");
      await expectLinear("repo-config-registries", 4_000, 3, 20_000);
    },
    25_000,
  );

  test(
    ".dt/sync.lock: thousands of files in linear time; nested aliases are exit 2 at their line",
    async () => {
      const e = thrown(() => parseLock(`version: 1\n${laughs().join("\n")}\nfiles: {}\n`));
      expect(e.exitCode).toBe(2);
      expect(e.where).toBe(".dt/sync.lock:3");
      expect(e.message).toContain("aliases expand too far");
      await expectLinear("sync-lock-files", 2_000, 3, 25_000);
    },
    28_000,
  );
});

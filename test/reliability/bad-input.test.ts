// Bad input: bounded fuzz of the four parsers of user files (the same generators scripts/fuzz.ts
// runs for longer), a random sample of dt.yaml files through the real binary, wrong flag values,
// --dir outside the workspace, and paths with spaces, quotes and non-ASCII used end to end.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { docker, dtContainersOf } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { fuzzSeed } from "../unit/fuzz.ts";
import { caseRng, configTarget, describeFailure, runCases, TARGETS } from "./generators.ts";
import { changelog, suffix } from "./helpers.ts";

setDefaultTimeout(300_000);

const workspaces: string[] = [];

afterAll(async () => {
  // Images built by the odd-paths test, found by their workspace label.
  for (const root of workspaces) {
    const images = await docker.listImages({ filters: { label: [`dev.dt.workspace=${root}`] } });
    for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
  }
  cleanupAll();
});

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

describe("bounded fuzz of the parsers (scripts/fuzz.ts runs the same for longer)", () => {
  const seed = fuzzSeed(0x5eed);
  for (const target of TARGETS) {
    test(`${target.name}: 3000 generated files parse to valid values or fail with exit 2 at ${target.file}:LINE`, () => {
      const result = runCases(target, seed, 0, 3000);
      if (result.failure) throw new Error(describeFailure(result.failure));
      // The generators reach both sides of the contract.
      expect(result.parsed).toBeGreaterThan(30);
      expect(result.rejected).toBeGreaterThan(300);
    });
  }
});

describe("dt config on 50 random dt.yaml files, through the binary", () => {
  test("each exits 0, or 2 with dt.yaml:LINE:COL on stderr; never 1, never a stack trace", async () => {
    const seed = fuzzSeed(0xc0f1);
    const texts = Array.from({ length: 50 }, (_, i) => configTarget.generate(caseRng(seed, "cli", i)));
    const base = testdir().path;
    const outcomes = { ok: 0, usage: 0 };
    const run = async (text: string, i: number) => {
      const root = join(base, `ws${i}`);
      mkdirSync(root);
      Bun.spawnSync(["git", "init", "-q", root]);
      writeFileSync(join(root, "dt.yaml"), text);
      writeFileSync(join(root, "changelog.txt"), changelog("fuzz"));
      mkdirSync(join(root, "devops"));
      const r = await dt(["config"], { cwd: root });
      const label = `case ${i} (seed ${seed}): ${JSON.stringify(text)}\nexit ${r.code}\n${r.stderr}`;
      expect([0, 2], label).toContain(r.code);
      expect(r.stderr, label).not.toMatch(STACK_TRACE);
      expect(r.stderr, label).not.toContain("internal error");
      if (r.code === 2) {
        expect(r.stderr, label).toMatch(/dt\.yaml:\d+:\d+: /);
        expect(r.stdout, label).toBe("");
        outcomes.usage++;
      } else {
        outcomes.ok++;
      }
    };
    for (let i = 0; i < texts.length; i += 5) await Promise.all(texts.slice(i, i + 5).map((t, k) => run(t, i + k)));
    expect(outcomes.usage).toBeGreaterThan(10);
    expect(outcomes.ok + outcomes.usage).toBe(50);
  });
});

describe("wrong flag values and --dir outside the workspace", () => {
  const ws = () => {
    const root = makeRepo(join(testdir().path, "flags"), {
      "changelog.txt": changelog("flags"),
      "devops/.keep": "",
      "svc/changelog.txt": changelog("svc"),
      "svc/devops/.keep": "",
    });
    return root;
  };

  test("each is exit 2 with a message naming the flag and the value, and a fix", async () => {
    const root = ws();
    const outside = testdir().path;
    const cases: [string[], RegExp][] = [
      [["test", "-j", "0"], /-j 0 is not a positive number/],
      [["test", "-j", "two"], /-j two is not a positive number/],
      [["test", "--stage", "nope"], /--stage must be one of local, dev, prod, got 'nope'/],
      [["docker", "build", "--stage", "nope"], /--stage must be one of local, prod, got 'nope'/],
      [["docker", "cmd", "--stage", "nope", "--", "true"], /--stage must be one of .*got 'nope'/],
      [["test", "--shard", "0/2"], /invalid shard '0\/2'/],
      [["test", "--shard", "3/2"], /invalid shard '3\/2'/],
      [["test", "--shard", "x"], /invalid shard 'x'/],
      [["test", "--suite", "nope"], /unknown suite 'nope'/],
      [["test", "--frobnicate"], /unknown option '--frobnicate' for 'dt test'/],
      [["docker", "build", "--frobnicate"], /unknown option '--frobnicate' for 'dt docker build'/],
      [["ls", "--json", "--frob=1"], /unknown option '--frob' for 'dt ls'/],
      [["test", "--junit"], /--junit needs a value/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["version", "bump", "sideways", "-m", "x"], /'sideways' is not a version part/],
      [["version", "bump", "patch", "-m", "x", "--date", "2026-13-01"], /--date 2026-13-01 is not a date/],
      [["test", "--dir", outside], /--dir .* is outside the workspace/],
      [["docker", "build", "--dir", "../.."], /--dir \.\.\/\.\. is outside the workspace/],
      [["docker", "cmd", "--dir", "/", "--", "true"], /--dir \/ is outside the workspace/],
      [["version", "--dir", "nope"], /nope/],
    ];
    for (const [args, message] of cases) {
      const r = await dt(args, { cwd: root });
      const label = `dt ${args.join(" ")}\n${r.stderr}`;
      expect(r.code, label).toBe(2);
      expect(r.stderr, label).toMatch(message);
      expect(r.stderr, label).toMatch(/fix: \S/);
      expect(r.stderr, label).not.toMatch(STACK_TRACE);
    }
  });
});

describe("paths with spaces, quotes and non-ASCII, end to end", () => {
  test(`workspace 'wörk space/it's "q"/app dir', runnable dir 'sérvice "1" …', odd file names: build, cmd ls, test, prod`, async () => {
    const dir = `sérvice "1" ${suffix()}`;
    const dataFile = `it's "quoted" ü.txt`;
    const root = makeRepo(join(testdir().path, "wörk space", `it's "q"`, "app dir"), {
      "dt.yaml": `name: oddws\nbase_image: ${testbed().images.pybase}\n`,
      [`${dir}/changelog.txt`]: changelog("odd"),
      [`${dir}/devops/.keep`]: "",
      [`${dir}/data/${dataFile}`]: "hello ünïcode\n",
      [`${dir}/tests/test_ünï côdé.py`]: [
        "import os, pathlib",
        "",
        "def test_reads_the_odd_file_at_the_same_path():",
        "    here = pathlib.Path(__file__).resolve().parent.parent",
        `    assert (here / 'data' / ${JSON.stringify(dataFile)}).read_text() == 'hello ünïcode\\n'`,
        "    assert os.environ['DT_TARGET_DIR'] == str(here)",
        "",
      ].join("\n"),
    });
    workspaces.push(root);
    const env = { USER: "dttest" };
    const cwd = join(root, dir);

    const ls = await dtJson(["ls", "--json"], { cwd: root, env });
    expect(ls.json.runnableDirs.map((d: any) => d.path)).toContain(dir);

    const build = await dt(["docker", "build"], { cwd, env });
    expect(build.stderr).toContain("✓ built");
    expect(build.code).toBe(0);

    const cmd = await dt(["docker", "cmd", "--", "ls", "data"], { cwd, env });
    expect(cmd.stdout).toBe(`${dataFile}\n`);
    expect(cmd.code).toBe(0);
    const pwd = await dt(["docker", "cmd", "--", "pwd"], { cwd: join(cwd, "data"), env });
    expect(pwd.stdout).toBe(`${join(cwd, "data")}\n`);

    const tests = await dtJson(["test", "--json"], { cwd, env });
    expect(tests.result.code).toBe(0);
    expect(tests.json.dirs[0].dir).toBe(dir);
    expect(tests.json.dirs[0].counts).toEqual({ passed: 1, failed: 0, skipped: 0, errors: 0, total: 1 });
    expect(tests.json.dirs[0].cases[0].file).toBe("tests/test_ünï côdé.py");

    const prod = await dt(["docker", "build", "--stage", "prod", "--from", "local"], { cwd, env });
    expect(prod.code).toBe(0);
    const inProd = await dt(["docker", "cmd", "--stage", "prod", "--", "cat", `data/${dataFile}`], { cwd, env });
    expect(inProd.stdout).toBe("hello ünïcode\n");
    expect(await dtContainersOf(root)).toEqual([]);
  });
});

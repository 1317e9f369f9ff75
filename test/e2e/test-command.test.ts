// dt test on real images and real pytest: selection, counts, JUnit, parallelism, suites.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseJunit } from "../../src/core/testing/junit.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { localTag } from "../support/tags.ts";

const env = { USER: "dttest" };
const suffix = Math.random().toString(36).slice(2, 8);
const repos: string[] = [];
let root = "";

/** A runnable dir whose image says who it is (/image-id), with pass, fail, slow and skipped tests. */
function runnable(prefix: string, name: string): Record<string, string> {
  const image = `dtt-${suffix}-${name}`;
  repos.push(image);
  const p = prefix ? `${prefix}/` : "";
  return {
    [`${p}changelog.txt`]: `# ${name}-1.0.0\n- 2026-11-20\n- First\n`,
    [`${p}dt.yaml`]: `image: ${image}\n`,
    [`${p}pytest.ini`]: "[pytest]\nmarkers =\n    slow: slow\n    superslow: very slow\n",
    [`${p}devops/docker_build/dev.Dockerfile`]: [
      "ARG BASE_IMAGE",
      "FROM ${BASE_IMAGE}",
      "COPY . /opt/dt/project/",
      `RUN sh /opt/dt/project/devops/docker_build/install.sh && echo ${name} > /image-id`,
      'ENTRYPOINT ["/opt/dt/project/devops/docker_run/entrypoint.sh"]',
      "",
    ].join("\n"),
    [`${p}tests/test_${name}.py`]: [
      "import time",
      "import pytest",
      "",
      "def test_pass():",
      `    assert open('/image-id').read().strip() == '${name}'`,
      "",
      "def test_fail():",
      "    assert 1 == 2, 'meant to fail'",
      "",
      "@pytest.mark.slow",
      "def test_slow():",
      "    time.sleep(0.2)",
      "",
      "@pytest.mark.skip(reason='not today')",
      "def test_skip():",
      "    pass",
      "",
    ].join("\n"),
  };
}

beforeAll(async () => {
  const tmp = testdir().path;
  const shared = makeRepo(join(tmp, "upstream-shared"), runnable("", "shared"));
  root = makeRepo(join(tmp, "ws"), {
    "dt.yaml": `name: dtt\nbase_image: ${testbed().images.pybase}\ntest:\n  depends_on: [libs/shared]\n`,
    ...runnable("outer", "outer"),
    ...runnable("outer/inner", "inner"),
    "notes.md": "not runnable\n",
  });
  addSubmodule(root, shared, "libs/shared");
  const build = await dt(["docker", "build", "--all"], { cwd: root, env });
  expect(build.code).toBe(0);
}, 300_000);

afterAll(async () => {
  await removeImages(repos);
  cleanupAll();
});

const byDir = (json: any) => Object.fromEntries(json.dirs.map((d: any) => [d.dir, d]));

describe("dt test --all", () => {
  test("runs each dir's tests in its own image exactly once, counts per dir, exit 1, merged JUnit has every test once", async () => {
    const junit = join(testdir().path, "merged.xml");
    const { result, json } = await dtJson(["test", "--all", "--json", "--junit", junit], { cwd: join(root, "outer"), env });
    expect(result.code).toBe(1);
    const dirs = byDir(json);
    expect(Object.keys(dirs).sort()).toEqual(["libs/shared", "outer", "outer/inner"]);
    for (const [dir, name] of [["outer", "outer"], ["outer/inner", "inner"], ["libs/shared", "shared"]] as const) {
      const d = dirs[dir];
      expect(d.image).toBe(`dtt-${suffix}-${name}:${localTag(root, "dttest", "1.0.0")}`);
      expect(d.counts).toEqual({ passed: 1, failed: 1, skipped: 1, errors: 0, total: 3 });
      expect(d.status).toBe("failed");
      // test_pass asserts /image-id: it passed, so it ran in this dir's own image.
      expect(d.cases.find((c: any) => c.name === "test_pass").status).toBe("passed");
      expect(d.cases.find((c: any) => c.name === "test_fail").details).toContain("meant to fail");
    }
    const suites = parseJunit(readFileSync(junit, "utf8"));
    const ids = suites.flatMap((s) => s.cases.map((c) => `${s.name}|${c.classname}|${c.name}`));
    expect(ids.length).toBe(9);
    expect(new Set(ids).size).toBe(9);
    expect(suites.map((s) => s.name).sort()).toEqual([
      `libs/shared (dtt-${suffix}-shared:${localTag(root, "dttest", "1.0.0")})`,
      `outer (dtt-${suffix}-outer:${localTag(root, "dttest", "1.0.0")})`,
      `outer/inner (dtt-${suffix}-inner:${localTag(root, "dttest", "1.0.0")})`,
    ]);
    // Per-dir reports stay for later runs (durations for --shard).
    expect(readFileSync(join(root, ".dt/reports/outer__inner.xml"), "utf8")).toContain("test_pass");
  });

  test("-j 1 and -j 2 give the same results", async () => {
    const summary = (json: any) => json.dirs.map((d: any) => [d.dir, d.status, d.counts, d.cases.map((c: any) => `${c.name}:${c.status}`).sort()]).sort();
    const one = await dtJson(["test", "--all", "--json", "-j", "1"], { cwd: root, env });
    const two = await dtJson(["test", "--all", "--json", "-j", "2"], { cwd: root, env });
    expect(one.result.code).toBe(1);
    expect(two.result.code).toBe(1);
    expect(summary(two.json)).toEqual(summary(one.json));
  });

  test("the text report shows failures grouped by dir and the summary table", async () => {
    const r = await dt(["test", "--all"], { cwd: root, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("━━ outer/inner");
    expect(r.stdout).toContain("meant to fail");
    expect(r.stdout).toMatch(/DIR\s+IMAGE\s+STAGE\s+PASSED\s+FAILED\s+SKIPPED\s+TIME/);
    // The table fits 80 columns: the image names lose their middle, both ends kept.
    const table = r.stdout.slice(r.stdout.indexOf("DIR "));
    expect(Math.max(...table.trimEnd().split("\n").map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(r.stdout).toMatch(/outer\/inner\s+dtt-\S*…\S*-1\.0\.0\s+local\s+1\s+1\s+1/);
    const wide = await dt(["test", "--all", "--wide"], { cwd: root, env });
    expect(wide.stdout).toMatch(new RegExp(`outer/inner\\s+dtt-\\S+-inner:${localTag(root, "dttest", "1.0.0")}\\s+local\\s+1\\s+1\\s+1`));
    // Not a TTY: each dir's output as prefixed lines on stderr.
    expect(r.stderr).toContain("[outer/inner] tests/test_inner.py::test_pass PASSED");
  });
});

describe("selection and suites", () => {
  test("the target dir runs alone; a nested runnable dir's tests are not collected", async () => {
    const { result, json } = await dtJson(["test", "--json"], { cwd: join(root, "outer", "tests"), env });
    expect(result.code).toBe(1);
    expect(json.dirs.map((d: any) => d.dir)).toEqual(["outer"]);
    expect(json.dirs[0].cases.every((c: any) => c.classname.includes("test_outer"))).toBe(true);
  });

  test("--suite slow, -m added to the suite's marker, pytest args after --", async () => {
    const slow = await dtJson(["test", "--dir", "outer", "--suite", "slow", "--json"], { cwd: root, env });
    expect(slow.result.code).toBe(0);
    expect(slow.json.dirs[0].cases.map((c: any) => c.name)).toEqual(["test_slow"]);
    const all = await dtJson(["test", "--dir", "outer", "--suite", "all", "-m", "not slow", "--json"], { cwd: root, env });
    expect(all.json.dirs[0].counts.total).toBe(3);
    const k = await dtJson(["test", "--dir", "outer", "--dir", "outer/inner", "--json", "--", "-k", "test_pass"], { cwd: root, env });
    expect(k.result.code).toBe(0);
    for (const d of k.json.dirs) expect(d.counts).toEqual({ passed: 1, failed: 0, skipped: 0, errors: 0, total: 1 });
  });

  test("an unknown suite is exit 2; a dir with no tests is 'no tests', exit 0", async () => {
    const bad = await dt(["test", "--dir", "outer", "--suite", "medium"], { cwd: root, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown suite 'medium'");
    const none = await dtJson(["test", "--dir", "outer", "--json", "--", "-k", "no_such_test_name"], { cwd: root, env });
    expect(none.result.code).toBe(0);
    expect(none.json.dirs[0].status).toBe("no-tests");
  });

  test("a test running past its suite's timeout fails and names the timeout", async () => {
    const ws = join(testdir().path, "timeouts");
    Bun.spawnSync(["cp", "-a", `${root}/.`, ws]);
    writeFileSync(join(ws, "outer/dt.yaml"), `image: dtt-${suffix}-outer\ntest:\n  suites:\n    fast: {marker: "not slow", timeout: 1}\n`);
    writeFileSync(join(ws, "outer/tests/test_sleepy.py"), "import time\n\ndef test_sleepy():\n    time.sleep(3)\n");
    // A copy is another checkout, with its own local images (SPEC, image identity).
    expect((await dt(["docker", "build", "--dir", "outer"], { cwd: ws, env })).code).toBe(0);
    const { result, json } = await dtJson(["test", "--dir", "outer", "--json", "--skip-checks", "--", "-k", "sleepy"], { cwd: ws, env });
    expect(result.code).toBe(1);
    const sleepy = json.dirs[0].cases.find((c: any) => c.name === "test_sleepy");
    expect(sleepy.status).toBe("failed");
    expect(sleepy.message + sleepy.details).toContain("longer than 1 s, the per-test timeout of the 'fast' suite");
    expect(json.dirs[0].seconds).toBeLessThan(30);
  });

  test("--fail-fast stops after the first failing dir", async () => {
    const { result, json } = await dtJson(["test", "--all", "-j", "1", "--fail-fast", "--json"], { cwd: root, env });
    expect(result.code).toBe(1);
    expect(json.dirs.filter((d: any) => d.status === "not-run").length).toBe(2);
  });

  test("a missing image is exit 3 with the command that builds it", async () => {
    const r = await dt(["test", "--dir", "outer"], { cwd: root, env: { USER: "nobody-built" } });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toContain("dt docker build");
  });

  test("an image without python3: the dir could not run (not '0 passed, 0 failed'), exit 3 with the fix", async () => {
    const image = `dtt-${suffix}-nopy`;
    repos.push(image);
    const ws = makeRepo(join(testdir().path, "nopy"), {
      "dt.yaml": `name: dtnopy\nbase_image: ${testbed().images.busybox}\n`,
      "svc/changelog.txt": "# svc-0.1.0\n- 2026-11-20\n- First\n",
      "svc/dt.yaml": `image: ${image}\n`,
      "svc/devops/.keep": "",
      "svc/tests/test_x.py": "def test_x():\n    assert True\n",
    });
    expect((await dt(["docker", "build", "--dir", "svc"], { cwd: ws, env })).code).toBe(0);
    const r = await dt(["test", "--dir", "svc", "--no-cache"], { cwd: ws, env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("pytest could not start in the image (exit 127: a command was not found)");
    expect(r.stdout).toContain("fix: dt test runs python3 -m pytest in the dir's image");
    expect(r.stdout).toContain("failed: 0 passed, 0 failed, 0 skipped in 1 dir (1 could not run)");
  });
});

describe("sharding and GitHub Actions", () => {
  test("--shard 1/2 and 2/2 together run every test file exactly once", async () => {
    const files = async (shard: string) => {
      const { json } = await dtJson(["test", "--all", "--json", "--shard", shard], { cwd: root, env });
      return json.dirs.flatMap((d: any) => d.cases.map((c: any) => `${d.dir}/${c.file}`));
    };
    const [a, b] = [new Set(await files("1/2")), new Set(await files("2/2"))];
    expect([...a].filter((f) => b.has(f))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(["libs/shared/tests/test_shared.py", "outer/inner/tests/test_inner.py", "outer/tests/test_outer.py"].sort());
    const bad = await dt(["test", "--all", "--shard", "3/2"], { cwd: root, env });
    expect(bad.code).toBe(2);
  });

  test("inside GitHub Actions: failure annotations with file and line, and a Markdown step summary", async () => {
    const summary = join(testdir().path, "summary.md");
    writeFileSync(summary, "");
    const r = await dt(["test", "--dir", "outer"], { cwd: root, env: { ...env, GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=outer\/tests\/test_outer\.py,line=8,/m);
    const md = readFileSync(summary, "utf8");
    expect(md).toContain(`outer | \`dtt-${suffix}-outer:${localTag(root, "dttest", "1.0.0")}\` | local | 1 | 1 | 1 |`);
    expect(md).toContain("test_fail");
  });
});

describe("dt test --changed", () => {
  test("one changed file in one dir runs only that dir; a moved sub-repo pointer runs the dirs that depend on it", async () => {
    const ws = join(testdir().path, "changed");
    Bun.spawnSync(["cp", "-a", `${root}/.`, ws]);
    expect((await dt(["docker", "build", "--all"], { cwd: ws, env })).code).toBe(0);
    const none = await dtJson(["test", "--changed", "--json"], { cwd: ws, env });
    expect(none.result.code).toBe(0);
    expect(none.json.dirs).toEqual([]);

    writeFileSync(join(ws, "outer/inner/tests/test_inner.py"), readFileSync(join(ws, "outer/inner/tests/test_inner.py"), "utf8") + "\n# touched\n");
    const one = await dtJson(["test", "--changed", "--json"], { cwd: ws, env });
    expect(one.json.dirs.map((d: any) => d.dir)).toEqual(["outer/inner"]);
    expect(one.json.dirs[0].reasons.join(" ")).toContain("outer/inner/tests/test_inner.py");
    git(ws, ["checkout", "--", "outer/inner"]);

    const shared = join(ws, "libs/shared");
    writeFileSync(join(shared, "README.md"), "moved\n");
    git(shared, ["add", "README.md"]);
    git(shared, ["commit", "-q", "-m", "move"]);
    git(ws, ["add", "libs/shared"]);
    const text = await dt(["test", "--changed", "--suite", "slow"], { cwd: ws, env });
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/dt test: outer: depends on libs\/shared/);
    const moved = await dtJson(["test", "--changed", "--suite", "slow", "--json"], { cwd: ws, env });
    expect(moved.json.dirs.map((d: any) => d.dir)).toEqual(["libs/shared", "outer", "outer/inner"]);
    expect(moved.json.dirs.find((d: any) => d.dir === "libs/shared").reasons.join(" ")).toMatch(/sub-repo libs\/shared moved [0-9a-f]+\.\.[0-9a-f]+/);
  });
});

// Two dt processes on the same workspace at once: test runs keep their results apart, changelog
// bumps both land (dt locks around the read-modify-write) or one refuses clearly.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { parseJunit } from "../../src/core/testing/junit.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { dtContainersOf, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, killStragglers, spawnDt, suffix, tempLeftovers } from "./helpers.ts";

setDefaultTimeout(300_000);

const sfx = suffix();
const env = { USER: "dttest" };
const images: string[] = [];
let root = "";

/** A runnable dir with `passing` passing, `failing` failing and one skipped test, each a little slow. */
function runnable(name: string, passing: number, failing: number): Record<string, string> {
  const image = `dtconc-${sfx}-${name}`;
  images.push(image);
  const lines = ["import time", "import pytest", ""];
  for (let i = 0; i < passing; i++) lines.push(`def test_pass_${i}():`, "    time.sleep(0.2)", "");
  for (let i = 0; i < failing; i++) lines.push(`def test_fail_${i}():`, `    assert ${i} < 0, 'fails on purpose'`, "");
  lines.push("@pytest.mark.skip(reason='not here')", "def test_skipped():", "    pass", "");
  return {
    [`${name}/changelog.txt`]: changelog(name),
    [`${name}/devops/.keep`]: "",
    [`${name}/dt.yaml`]: `image: ${image}\n`,
    [`${name}/tests/test_${name}.py`]: lines.join("\n"),
  };
}

beforeAll(async () => {
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: conc\nbase_image: ${testbed().images.pybase}\n`,
    ...runnable("one", 3, 1),
    ...runnable("two", 2, 2),
    ...runnable("three", 4, 0),
  });
  const build = await dt(["docker", "build", "--all"], { cwd: root, env });
  expect(build.code).toBe(0);
});

afterEach(killStragglers);

afterAll(async () => {
  await removeImages(images);
  cleanupAll();
});

/** What must be identical between runs: per dir, its status, counts and each case's outcome. */
const summary = (json: any) =>
  Object.fromEntries(
    json.dirs.map((d: any) => [d.dir, { status: d.status, counts: d.counts, cases: d.cases.map((c: any) => `${c.name}:${c.status}`).sort() }]),
  );

describe("two 'dt test --all' at once", () => {
  test("both finish with the same per-dir results as a solo run; reports whole, per-run dirs gone, no container left", async () => {
    const solo = await dtJson(["test", "--all", "--json", "-j", "2"], { cwd: root, env });
    expect(solo.result.code).toBe(1);
    const expected = summary(solo.json);
    expect(Object.keys(expected).sort()).toEqual(["one", "three", "two"]);
    expect(expected.one.counts).toEqual({ passed: 3, failed: 1, skipped: 1, errors: 0, total: 5 });

    const junitA = join(testdir().path, "a.xml");
    const junitB = join(testdir().path, "b.xml");
    const [a, b] = await Promise.all([
      spawnDt(["test", "--all", "--json", "-j", "2", "--junit", junitA], { cwd: root, env }).done,
      spawnDt(["test", "--all", "--json", "-j", "2", "--junit", junitB], { cwd: join(root, "two"), env }).done,
    ]);
    for (const r of [a, b]) {
      expect(r.code).toBe(1);
      expect(summary(JSON.parse(r.stdout))).toEqual(expected);
    }
    for (const file of [junitA, junitB]) {
      const cases = parseJunit(readFileSync(file, "utf8")).flatMap((s) => s.cases);
      expect(cases.length).toBe(5 + 5 + 5);
    }
    const reports = join(root, ".dt", "reports");
    for (const name of readdirSync(reports).filter((n) => n.endsWith(".xml"))) {
      expect(parseJunit(readFileSync(join(reports, name), "utf8")).flatMap((s) => s.cases).length).toBe(5);
    }
    const runs = join(reports, "runs");
    if (existsSync(runs)) expect(readdirSync(runs)).toEqual([]);
    expect(tempLeftovers(root)).toEqual([]);
    expect(await dtContainersOf(root)).toEqual([]);
  });
});

describe("two 'dt version bump' at once", () => {
  test("10 rounds: both entries land in a valid changelog, or one refuses with a clear message", async () => {
    const ws = makeRepo(join(testdir().path, "bump"), { "changelog.txt": changelog("conc", "1.0.0"), "devops/.keep": "" });
    const file = join(ws, "changelog.txt");
    let landed = 0;
    let refused = 0;
    for (let round = 0; round < 10; round++) {
      const before = parseChangelog(readFileSync(file, "utf8"));
      const results = await Promise.all(
        ["x", "y"].map((who) => spawnDt(["version", "bump", "patch", "-m", `round ${round} ${who}`, "--date", "2026-11-21"], { cwd: ws }).done),
      );
      const after = parseChangelog(readFileSync(file, "utf8"));
      const ok = results.filter((r) => r.code === 0);
      for (const r of results.filter((r) => r.code !== 0)) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("is being changed by another dt process");
        refused++;
      }
      expect(ok.length).toBeGreaterThanOrEqual(1);
      landed += ok.length;
      // Each successful bump is one new entry on top; the versions printed are the ones written.
      expect(after.length).toBe(before.length + ok.length);
      expect(new Set(ok.map((r) => r.stdout.trim()))).toEqual(new Set(after.slice(0, ok.length).map((e) => e.version)));
      const notes = after.slice(0, ok.length).flatMap((e) => e.notes).sort();
      expect(notes.every((n) => n.startsWith(`round ${round} `))).toBe(true);
      expect(existsSync(`${file}.dt-lock`)).toBe(false);
      expect(tempLeftovers(ws)).toEqual([]);
    }
    expect(landed + refused).toBe(20);
    expect(landed).toBeGreaterThanOrEqual(10);
  });
});

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { symlinkSync } from "node:fs";
import { DtError } from "../../../../src/core/base/errors.ts";
import { assignShard, listTestFiles, parseShard, planShards, readDurations } from "../../../../src/core/testing/shard.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";
import { fuzzSeed, rng } from "../../fuzz.ts";

afterAll(cleanupAll);

function dtErrorOf(fn: () => unknown): DtError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DtError) return e;
    throw e;
  }
  throw new Error("expected a DtError");
}

const files = (n: number) => Array.from({ length: n }, (_, i) => `apps/x/tests/test_${String(i).padStart(3, "0")}.py`);
const load = (shard: readonly string[], d: ReadonlyMap<string, number>) => shard.reduce((s, f) => s + (d.get(f) ?? 0), 0);

describe("parseShard", () => {
  test("I/N", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, total: 3 });
    expect(parseShard("1/1")).toEqual({ index: 1, total: 1 });
    expect(parseShard(" 3 / 3 ")).toEqual({ index: 3, total: 3 });
  });

  test.each(["0/3", "4/3", "x/y", "1/0", "0/0", "", "2", "1/2/3", "-1/2", "1.5/2", "/2"])("'%s' is a usage error", (text) => {
    const e = dtErrorOf(() => parseShard(text));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`'${text}'`);
    expect(e.hint).toContain("--shard I/N");
  });
});

describe("planShards / assignShard", () => {
  test("every file in exactly one shard, each shard sorted", () => {
    const all = files(37);
    for (const total of [1, 2, 3, 5, 8, 40]) {
      const shards = planShards(all, new Map(), total);
      expect(shards).toHaveLength(total);
      expect(shards.flat().sort()).toEqual(all);
      for (const s of shards) expect(s).toEqual([...s].sort());
      for (let i = 1; i <= total; i++) expect(assignShard(all, new Map(), i, total)).toEqual(shards[i - 1]!);
    }
  });

  test("without durations, balanced by count (sizes differ by at most one)", () => {
    const shards = planShards(files(10), new Map(), 3);
    expect(shards.map((s) => s.length).sort()).toEqual([3, 3, 4]);
  });

  test("deterministic: input order and duplicates do not matter", () => {
    const all = files(25);
    const d = new Map(all.map((f, i) => [f, ((i * 7) % 11) + 0.5] as const));
    const shuffled = [...all].reverse().concat(all.slice(0, 5));
    expect(planShards(shuffled, d, 4)).toEqual(planShards(all, d, 4));
  });

  test("longest first: one slow file gets a shard to itself", () => {
    const all = files(6);
    const d = new Map<string, number>(all.map((f) => [f, 1]));
    d.set(all[4]!, 10);
    const [first, second] = planShards(all, d, 2);
    expect(first).toEqual([all[4]!]);
    expect(second).toEqual(all.filter((_, i) => i !== 4));
  });

  test("ties go to the lowest shard, then by path", () => {
    const all = ["b.py", "a.py", "c.py"].map((n) => `t/test_${n}`);
    expect(planShards(all, new Map(), 3)).toEqual([["t/test_a.py"], ["t/test_b.py"], ["t/test_c.py"]]);
  });

  test("unknown durations count the median of the known ones", () => {
    // Known: 1, 3, 100 -> median 3. Greedy: 100 -> s1; 3,3(new),3(new) and 1 over s2..s3.
    const d = new Map([["a/test_1.py", 1], ["a/test_3.py", 3], ["a/test_big.py", 100]]);
    const all = [...d.keys(), "a/test_new1.py", "a/test_new2.py"];
    const [s1, s2, s3] = planShards(all, d, 3);
    expect(s1).toEqual(["a/test_big.py"]);
    // 3 (test_3), 3 (new1), 3 (new2), 1: s2 gets test_3 and new2, s3 new1 and test_1.
    expect(s2).toEqual(["a/test_3.py", "a/test_new2.py"]);
    expect(s3).toEqual(["a/test_1.py", "a/test_new1.py"]);
  });

  test("zero-second files still spread over the shards", () => {
    const all = files(9);
    const d = new Map(all.map((f) => [f, 0] as const));
    expect(planShards(all, d, 3).map((s) => s.length)).toEqual([3, 3, 3]);
  });

  test("more shards than files: the extra shards are empty", () => {
    expect(planShards(["t/test_a.py"], new Map(), 3)).toEqual([["t/test_a.py"], [], []]);
    expect(assignShard([], new Map(), 2, 2)).toEqual([]);
  });

  test("random durations: every file once, loads within the greedy bounds", () => {
    const r = rng(fuzzSeed(42));
    for (let round = 0; round < 200; round++) {
      const all = files(1 + r.int(60));
      const d = new Map(all.map((f) => [f, r.int(1000) / 10] as const));
      const total = 1 + r.int(6);
      const shards = planShards(all, d, total);
      expect(shards.flat().sort()).toEqual(all);
      const loads = shards.map((s) => load(s, d));
      const sum = [...d.values()].reduce((a, b) => a + b, 0);
      const biggest = Math.max(...d.values());
      // Each file went to the least-loaded shard: the spread is at most one file's time, and
      // the busiest shard is within Graham's bound of the mean.
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(biggest + 1e-9);
      expect(Math.max(...loads)).toBeLessThanOrEqual(sum / total + (1 - 1 / total) * biggest + 1e-9);
    }
  });

  test("bad index or total is a usage error", () => {
    expect(dtErrorOf(() => assignShard(files(3), new Map(), 0, 2)).exitCode).toBe(2);
    expect(dtErrorOf(() => assignShard(files(3), new Map(), 3, 2)).exitCode).toBe(2);
    expect(dtErrorOf(() => planShards(files(3), new Map(), 0)).exitCode).toBe(2);
  });
});

describe("listTestFiles", () => {
  test("pytest's default file names, below the dir, skipping nested dirs and noise", () => {
    const ws = testdir({
      "apps/pricer/tests/test_pricer.py": "",
      "apps/pricer/tests/pricing_test.py": "",
      "apps/pricer/tests/helpers.py": "",
      "apps/pricer/tests/test_data.json": "",
      "apps/pricer/tests/conftest.py": "",
      "apps/pricer/pricer/deep/test_inner.py": "",
      "apps/pricer/test_top.py": "",
      "apps/pricer/.hidden/test_no.py": "",
      "apps/pricer/tests/__pycache__/test_pricer.cpython-312.py": "",
      "apps/pricer/node_modules/x/test_no.py": "",
      "apps/pricer/.venv/lib/test_no.py": "",
      "apps/pricer/venv/lib/test_no.py": "",
      "apps/pricer/nested/changelog.txt": "",
      "apps/pricer/nested/tests/test_nested.py": "",
      "apps/pricer/vendor/lib/tests/test_sub.py": "",
      "apps/other/tests/test_other.py": "",
    });
    const root = ws.path;
    symlinkSync(join(root, "apps/pricer"), join(root, "apps/pricer/loop"));
    const found = listTestFiles(root, join(root, "apps/pricer"), [join(root, "apps/pricer/nested"), join(root, "apps/pricer/vendor/lib/")]);
    expect(found).toEqual([
      "apps/pricer/pricer/deep/test_inner.py",
      "apps/pricer/test_top.py",
      "apps/pricer/tests/pricing_test.py",
      "apps/pricer/tests/test_pricer.py",
    ]);
  });

  test("the workspace root as the runnable dir; a missing dir has no files", () => {
    const ws = testdir({ "tests/test_a.py": "", "services/s/tests/test_b.py": "" });
    expect(listTestFiles(ws.path, ws.path, [join(ws.path, "services/s")])).toEqual(["tests/test_a.py"]);
    expect(listTestFiles(ws.path, join(ws.path, "nope"), [])).toEqual([]);
  });
});

describe("readDurations", () => {
  const XUNIT2 = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
  <testcase classname="tests.test_pricer" name="test_a" time="1.5" />
  <testcase classname="tests.test_pricer.TestBook" name="test_b" time="2.25" />
  <testcase classname="tests.sub.test_deep" name="test_c" time="0.5"><failure message="x">boom</failure></testcase>
  <testcase classname="tests.test_gone" name="test_d" time="9" />
  <testcase classname="" name="tests.test_broken" time="0.1"><error message="collection">e</error></testcase>
</testsuite></testsuites>`;
  const XUNIT1 = `<testsuites><testsuite name="apps/reporter">
  <testcase classname="tests.test_report" name="test_x" file="tests/test_report.py" line="3" time="4" />
  <testcase classname="tests.test_report" name="test_y" file="tests/test_report.py" line="9" time="1" />
  <testcase classname="x" name="root_rel" file="apps/reporter/tests/test_other.py" time="2" />
</testsuite></testsuites>`;

  test("xunit2 classnames and xunit1 file attributes map to workspace paths", () => {
    const ws = testdir({
      "apps/pricer/tests/test_pricer.py": "",
      "apps/pricer/tests/sub/test_deep.py": "",
      "apps/reporter/tests/test_report.py": "",
      "apps/reporter/tests/test_other.py": "",
      ".dt/reports/pricer.xml": XUNIT2,
      "reporter.xml": XUNIT1,
    });
    const d = readDurations(
      [
        { report: ".dt/reports/pricer.xml", dir: "apps/pricer" },
        { report: join(ws.path, "reporter.xml"), dir: "apps/reporter" },
        { report: "missing.xml", dir: "apps/pricer" },
      ],
      ws.path,
    );
    expect(Object.fromEntries(d)).toEqual({
      "apps/pricer/tests/test_pricer.py": 3.75,
      "apps/pricer/tests/sub/test_deep.py": 0.5,
      "apps/reporter/tests/test_report.py": 5,
      "apps/reporter/tests/test_other.py": 2,
    });
  });

  test("the root dir as pytest's rootdir", () => {
    const ws = testdir({ "tests/test_a.py": "", "r.xml": `<testsuite><testcase classname="tests.test_a.TestA" name="t" time="0.7"/></testsuite>` });
    expect(readDurations([{ report: "r.xml", dir: "." }], ws.path)).toEqual(new Map([["tests/test_a.py", 0.7]]));
  });

  test("durations drive the split", () => {
    const ws = testdir({
      "a/tests/test_slow.py": "",
      "a/tests/test_b.py": "",
      "a/tests/test_c.py": "",
      "a/tests/test_d.py": "",
      "r.xml": `<testsuite><testcase classname="tests.test_slow" name="t" time="30"/><testcase classname="tests.test_b" name="t" time="1"/><testcase classname="tests.test_c" name="t" time="1"/></testsuite>`,
    });
    const all = listTestFiles(ws.path, join(ws.path, "a"), []);
    const d = readDurations([{ report: "r.xml", dir: "a" }], ws.path);
    expect(assignShard(all, d, 1, 2)).toEqual(["a/tests/test_slow.py"]);
    expect(assignShard(all, d, 2, 2)).toEqual(["a/tests/test_b.py", "a/tests/test_c.py", "a/tests/test_d.py"]);
  });
});

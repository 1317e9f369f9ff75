import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  annotations,
  appendStepSummary,
  escapeData,
  escapeProperty,
  failureLine,
  inGithubActions,
  stepSummary,
  type CiDirResult,
} from "../../../../src/core/testing/github-format.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const pricer: CiDirResult = {
  dir: "apps/pricer",
  image: "ghcr.io/acme/pricer:dev-1.2.0",
  stage: "dev",
  counts: { passed: 10, failed: 1, skipped: 2, errors: 1 },
  seconds: 3.25,
  failures: [
    {
      file: "apps/pricer/tests/test_x.py",
      line: 12,
      name: "test_price[a,b]",
      message: "assert 1 == 2",
      details: "def test_price():\n>       assert 1 == 2\nE       assert 1 == 2\n\ntests/test_x.py:12: AssertionError",
    },
    { file: null, line: null, name: "tests/test_y.py", message: "ImportError: no module named 'z'", error: true },
  ],
};
const reporter: CiDirResult = {
  dir: "apps/reporter",
  image: "reporter:local-ci-0.1.0",
  stage: "local",
  shard: "2/3",
  counts: { passed: 4, failed: 0, skipped: 0, errors: 0 },
  seconds: 75.4,
  failures: [],
};

/** GitHub's own unescaping of a workflow command's data and properties. */
const unescape = (s: string) => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%25/g, "%");

/** Splits `::error k=v,k=v::message` as the runner does. */
function parseCommand(line: string) {
  const m = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const props = Object.fromEntries(m[2]!.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), unescape(kv.slice(kv.indexOf("=") + 1))]));
  return { command: m[1]!, props, message: unescape(m[3]!) };
}

describe("escaping", () => {
  test("data: %, CR and LF", () => {
    expect(escapeData("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext: a,b");
  });

  test("properties: also : and ,", () => {
    expect(escapeProperty("dt test a::b[1,2] 5%\n")).toBe("dt test a%3A%3Ab[1%2C2] 5%25%0A");
  });

  test("round trip through GitHub's unescaping", () => {
    for (const s of ["%0A literally", "a\nb\r\nc", "x:y,z", "%%3A%"]) {
      expect(unescape(escapeData(s))).toBe(s);
      expect(unescape(escapeProperty(s))).toBe(s);
    }
  });
});

describe("annotations", () => {
  test("one ::error per failure, with file, line and title", () => {
    const lines = annotations([pricer, reporter]);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain("\n");
    expect(lines[0]).toStartWith("::error file=apps/pricer/tests/test_x.py,line=12,title=dt test apps/pricer%3A%3Atest_price[a%2Cb] failed::assert 1 == 2%0A%0Adef test_price");
    const first = parseCommand(lines[0]!);
    expect(first.props).toEqual({ file: "apps/pricer/tests/test_x.py", line: "12", title: "dt test apps/pricer::test_price[a,b] failed" });
    expect(first.message).toBe(`assert 1 == 2\n\n${pricer.failures[0]!.details}`);
    const second = parseCommand(lines[1]!);
    expect(second.props).toEqual({ title: "dt test apps/pricer::tests/test_y.py error" });
    expect(second.message).toBe("ImportError: no module named 'z'");
  });

  test("a shard is named in the title", () => {
    const failing = { ...reporter, failures: [{ file: "apps/reporter/t/test_a.py", line: null, name: "test_a", message: "" }] };
    const [line] = annotations([failing]);
    expect(parseCommand(line!).props).toEqual({ file: "apps/reporter/t/test_a.py", title: "dt test apps/reporter (shard 2/3)::test_a failed" });
    expect(parseCommand(line!).message).toBe("(no message)");
  });

  test("past the limit, one line says how many more", () => {
    const many = { ...pricer, failures: Array.from({ length: 14 }, (_, i) => ({ file: null, line: null, name: `test_${i}`, message: "no" })) };
    const lines = annotations([many]);
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 9).map((l) => parseCommand(l).props.title)).toEqual(Array.from({ length: 9 }, (_, i) => `dt test apps/pricer::test_${i} failed`));
    expect(parseCommand(lines[9]!).message).toBe("5 more failed tests: see the job summary");
    expect(annotations([many], 14)).toHaveLength(14);
  });

  test("no failures, no lines", () => {
    expect(annotations([reporter])).toEqual([]);
    expect(annotations([])).toEqual([]);
  });
});

describe("stepSummary", () => {
  test("verdict, table of every run, failures per dir", () => {
    const md = stepSummary([pricer, reporter]);
    expect(md).toContain("## dt test\n");
    expect(md).toContain("❌ 2 tests failed: 14 passed, 1 failed, 1 error, 2 skipped in 2 runs (1 min 19 s)");
    expect(md).toContain("| dir | image | stage | passed | failed | skipped | time |\n|---|---|---|--:|--:|--:|--:|\n");
    expect(md).toContain("| ❌ apps/pricer | `ghcr.io/acme/pricer:dev-1.2.0` | dev | 10 | 1 (+1 error) | 2 | 3.3 s |");
    expect(md).toContain("| apps/reporter (shard 2/3) | `reporter:local-ci-0.1.0` | local | 4 | 0 | 0 | 1 min 15 s |");
    expect(md).toContain("### ❌ apps/pricer\n");
    expect(md).not.toContain("### ❌ apps/reporter");
    expect(md).toContain("- **test_price[a,b]** (`apps/pricer/tests/test_x.py:12`): assert 1 == 2");
    expect(md).toContain("- **tests/test_y.py** (error): ImportError: no module named 'z'");
    expect(md).toContain("  <details><summary>traceback</summary>\n\n  ```\n  def test_price():\n");
    expect(md.endsWith("\n")).toBe(true);
  });

  test("all green", () => {
    expect(stepSummary([reporter])).toContain("✅ all tests passed: 4 passed, 0 failed, 0 errors, 0 skipped in 1 run");
  });

  test("pipes, newlines and backticks cannot break the table or the fences", () => {
    const odd: CiDirResult = {
      ...reporter,
      dir: "apps/a|b",
      image: "img`x",
      counts: { passed: 0, failed: 1, skipped: 0, errors: 0 },
      failures: [{ file: null, line: null, name: "t|1", message: "line1\nline2 | x", details: "```\ncode\n```" }],
    };
    const md = stepSummary([odd]);
    expect(md).toContain("| ❌ apps/a\\|b (shard 2/3) | `` img`x `` |");
    expect(md).toContain("- **t\\|1**: line1 line2 \\| x");
    expect(md).toContain("  ````\n  ```\n  code\n  ```\n  ````");
  });
});

describe("appendStepSummary", () => {
  test("appends to GITHUB_STEP_SUMMARY, and does nothing without it", () => {
    const dir = testdir({ "summary.md": "# earlier step\n" }).path;
    const file = join(dir, "summary.md");
    expect(appendStepSummary("## one", { GITHUB_STEP_SUMMARY: file })).toBe(true);
    expect(appendStepSummary("## two\n", { GITHUB_STEP_SUMMARY: file })).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("# earlier step\n## one\n## two\n");
    expect(appendStepSummary("## three", {})).toBe(false);
  });

  test("inGithubActions", () => {
    expect(inGithubActions({ GITHUB_ACTIONS: "true" })).toBe(true);
    expect(inGithubActions({ GITHUB_ACTIONS: "false" })).toBe(false);
    expect(inGithubActions({})).toBe(false);
  });
});

describe("failureLine", () => {
  const tb = [
    "tests/test_x.py:10: in test_price",
    "    helper()",
    "pricer/core.py:5: in helper",
    "    raise ValueError",
    "tests/test_x.py:12: ValueError",
  ].join("\n");

  test("the last line of the test's own file, relative to the dir or to the workspace", () => {
    expect(failureLine(tb, "tests/test_x.py")).toBe(12);
    expect(failureLine(tb, "apps/pricer/tests/test_x.py")).toBe(12);
    expect(failureLine(tb, "apps/pricer/pricer/core.py")).toBe(5);
    expect(failureLine(tb, "tests/test_other.py")).toBeNull();
    expect(failureLine("", "tests/test_x.py")).toBeNull();
  });
});

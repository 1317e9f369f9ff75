import { describe, expect, test } from "bun:test";
import type { DirResult } from "../../../src/core/testing/run-tests.ts";
import type { TestCase } from "../../../src/core/testing/junit.ts";
import { failureLines } from "../../../src/ui/test-failures.ts";

const result = (over: Partial<DirResult>): DirResult => ({
  dir: "apps/pricer",
  image: "pricer:local",
  stage: "local",
  status: "failed",
  counts: { passed: 2, failed: 1, skipped: 0, errors: 0, total: 3 },
  seconds: 1,
  exitCode: 1,
  reason: null,
  hint: null,
  reasons: [],
  staleImage: false,
  output: "",
  cases: [],
  report: null,
  cached: false,
  cachedAt: null,
  explain: null,
  ...over,
});
const testCase = (over: Partial<TestCase>): TestCase => ({ classname: "tests.test_x", name: "test_x", file: "tests/test_x.py", line: 1, time: 0, status: "failed", message: "", details: "", ...over });

describe("failureLines", () => {
  test("pytest's own short summary lines, as it prints them", () => {
    const output = "tests/test_x.py::test_ok PASSED\n=== short test summary info ===\nFAILED tests/test_x.py::test_x - AssertionError: one is not two\n=== 1 failed, 2 passed ===\n";
    expect(failureLines(result({ output }))).toEqual(["FAILED tests/test_x.py::test_x - AssertionError: one is not two"]);
  });

  test("without a summary in the output, FAILED lines from the report's cases", () => {
    const cases = [testCase({ message: "AssertionError: one is not two\nassert 1 == 2" }), testCase({ name: "test_ok", status: "passed" })];
    expect(failureLines(result({ cases }))).toEqual(["FAILED tests/test_x.py::test_x - AssertionError: one is not two"]);
  });

  test("a collection error: the summary names the file, the first lines say what is missing", () => {
    const details = "ImportError while importing test module '/w/tests/test_imp.py'.\nHint: make sure...\nTraceback:\ntests/test_imp.py:1: in <module>\n    import nope\nE   ModuleNotFoundError: No module named 'nope'";
    const cases = [testCase({ classname: "", name: "tests.test_imp", file: "tests/test_imp.py", status: "error", message: "collection failure", details })];
    const lines = failureLines(result({ counts: { passed: 0, failed: 0, skipped: 0, errors: 1, total: 1 }, cases, output: "=== short test summary info ===\nERROR tests/test_imp.py\n" }));
    expect(lines).toEqual(["ERROR tests/test_imp.py", "    ImportError while importing test module '/w/tests/test_imp.py'.", "    E   ModuleNotFoundError: No module named 'nope'"]);
  });

  test("a dir that could not run says why and the fix, never 0 passed, 0 failed", () => {
    const lines = failureLines(result({ status: "error", counts: { passed: 0, failed: 0, skipped: 0, errors: 0, total: 0 }, reason: "apps/pricer 0.2.0 is not built in this workspace", hint: "dt docker build" }));
    expect(lines).toEqual(["apps/pricer could not run: apps/pricer 0.2.0 is not built in this workspace", "fix: dt docker build"]);
    expect(lines.join("\n")).not.toContain("0 passed");
  });

  test("pytest stopping before any test: its last lines", () => {
    const lines = failureLines(result({ counts: { passed: 0, failed: 0, skipped: 0, errors: 0, total: 0 }, reason: "pytest usage error (bad arguments or marker expression)", output: "ERROR: usage: pytest [options]\npytest: error: unrecognized arguments: --bogus\n" }));
    expect(lines[0]).toBe("pytest usage error (bad arguments or marker expression)");
    expect(lines).toContain("pytest: error: unrecognized arguments: --bogus");
  });
});

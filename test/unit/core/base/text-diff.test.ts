import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diffLines, splitLines, unifiedDiff } from "../../../../src/core/base/text-diff.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

/** Applies an edit script to `a`; it must give `b`. */
function apply(edits: ReturnType<typeof diffLines>): { a: string[]; b: string[] } {
  return {
    a: edits.filter((e) => e.kind !== "insert").map((e) => e.line),
    b: edits.filter((e) => e.kind !== "delete").map((e) => e.line),
  };
}

describe("diffLines", () => {
  test("equal, empty and disjoint inputs", () => {
    expect(diffLines(["a", "b"], ["a", "b"]).every((e) => e.kind === "equal")).toBe(true);
    expect(diffLines([], [])).toEqual([]);
    expect(diffLines([], ["x"])).toEqual([{ kind: "insert", line: "x" }]);
    expect(diffLines(["x"], [])).toEqual([{ kind: "delete", line: "x" }]);
    expect(diffLines(["a"], ["b"])).toEqual([
      { kind: "delete", line: "a" },
      { kind: "insert", line: "b" },
    ]);
  });

  test("finds a shortest script (Myers' classic example: 5 edits)", () => {
    const a = "ABCABBA".split("");
    const b = "CBABAC".split("");
    const edits = diffLines(a, b);
    expect(edits.filter((e) => e.kind !== "equal").length).toBe(5);
    expect(apply(edits)).toEqual({ a, b });
  });

  test("random inputs: the script always turns a into b, never longer than the trivial one", () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: rand(30) }, () => "abcde"[rand(5)]!);
      const b = Array.from({ length: rand(30) }, () => "abcde"[rand(5)]!);
      const edits = diffLines(a, b);
      expect(apply(edits)).toEqual({ a, b });
      const changes = edits.filter((e) => e.kind !== "equal").length;
      expect(changes).toBeLessThanOrEqual(a.length + b.length);
      // Shortest: a + b - 2 * LCS.
      expect(changes).toBe(a.length + b.length - 2 * lcs(a, b));
    }
  });

  test("very different large inputs still give a correct (if not shortest) script, quickly", () => {
    const a = Array.from({ length: 6000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 6000 }, (_, i) => `b${i}`);
    const started = performance.now();
    expect(apply(diffLines(a, b))).toEqual({ a, b });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("splitLines keeps terminators; a last line without one stays distinct", () => {
    expect(splitLines("a\nb\n")).toEqual(["a\n", "b\n"]);
    expect(splitLines("a\nb")).toEqual(["a\n", "b"]);
    expect(splitLines("")).toEqual([]);
    expect(splitLines("\n\n")).toEqual(["\n", "\n"]);
  });
});

function lcs(a: string[], b: string[]): number {
  const row = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

describe("unifiedDiff", () => {
  const labels = { from: "a/f", to: "b/f" };

  test("equal texts give nothing", () => {
    expect(unifiedDiff("x\n", "x\n", labels)).toBe("");
  });

  test("one changed line with three lines of context, diff(1) format", () => {
    const a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const b = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
    expect(unifiedDiff(a, b, labels)).toBe("--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
  });

  test("far apart changes make two hunks; close ones share one", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `${i + 1}\n`);
    const far = [...lines];
    far[1] = "two\n";
    far[25] = "twenty-six\n";
    const two = unifiedDiff(lines.join(""), far.join(""), labels);
    expect(two.match(/^@@/gm)).toHaveLength(2);
    expect(two).toContain("@@ -1,5 +1,5 @@");
    expect(two).toContain("@@ -23,7 +23,7 @@");
    const near = [...lines];
    near[5] = "six\n";
    near[12] = "thirteen\n";
    expect(unifiedDiff(lines.join(""), near.join(""), labels).match(/^@@/gm)).toHaveLength(1);
  });

  test("additions to and removals from empty files; ,1 left out; an empty side at the line before", () => {
    expect(unifiedDiff("", "new\n", labels)).toBe("--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+new\n");
    expect(unifiedDiff("old\n", "", labels)).toBe("--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-old\n");
    expect(unifiedDiff("a\nb\n", "a\nx\nb\n", { ...labels, context: 0 })).toBe("--- a/f\n+++ b/f\n@@ -1,0 +2 @@\n+x\n");
  });

  test("a missing newline at the end is a change and is marked", () => {
    expect(unifiedDiff("a\nb\n", "a\nb", labels)).toBe("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
  });

  test("the output applies with patch(1)", () => {
    if (!Bun.which("patch")) return;
    const a = "keep\nold\nkeep\n" + "x\n".repeat(10) + "tail\n";
    const b = "keep\nnew\nkeep\n" + "x\n".repeat(10) + "tail\nmore";
    const dir = testdir({ f: a }).path;
    const r = Bun.spawnSync(["patch", "-s", "-p1"], { cwd: dir, stdin: new Blob([unifiedDiff(a, b, labels)]) });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir, "f"), "utf8")).toBe(b);
  });
});

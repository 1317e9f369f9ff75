import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { DtError } from "../../../../src/core/base/errors.ts";
import { checkEntry, decide, formatLock, parseLock, resolveReal, type FileState } from "../../../../src/core/sync/sync.ts";
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

describe("decide: the three-way decision", () => {
  const A: FileState = { sha256: "a".repeat(64), executable: false };
  const B: FileState = { sha256: "b".repeat(64), executable: false };
  const C: FileState = { sha256: "c".repeat(64), executable: false };
  const Ax: FileState = { ...A, executable: true };

  test("unchanged everywhere: in sync", () => {
    expect(decide(A, A, A, false)).toMatchObject({ status: "in-sync", write: false, remove: false });
    // Equal to upstream but never recorded (or recorded differently): in sync, nothing written.
    expect(decide(null, A, A, false).status).toBe("in-sync");
    expect(decide(B, A, A, false).status).toBe("in-sync");
  });

  test("(1) upstream changed, local unchanged: update", () => {
    expect(decide(A, A, B, false)).toMatchObject({ status: "updated", write: true, forced: false });
    // The executable bit is part of a file's state.
    expect(decide(A, A, Ax, false)).toMatchObject({ status: "updated", write: true });
  });

  test("(2) local customised, upstream unchanged: keep, overwrite only with --force", () => {
    expect(decide(A, B, A, false)).toMatchObject({ status: "kept", write: false });
    expect(decide(A, B, A, true)).toMatchObject({ status: "updated", write: true, forced: true });
    expect(decide(A, Ax, A, false).status).toBe("kept");
  });

  test("(3) both changed: conflict, upstream's only with --force", () => {
    expect(decide(A, B, C, false)).toMatchObject({ status: "conflict", write: false });
    expect(decide(A, B, C, true)).toMatchObject({ status: "updated", write: true, forced: true });
    // Present here but never synced, and different: nobody knows which is right.
    expect(decide(null, B, C, false).status).toBe("conflict");
  });

  test("missing here and not in the lock: add", () => {
    expect(decide(null, null, A, false)).toMatchObject({ status: "added", write: true, forced: false });
  });

  test("deleted here since the last sync: a customisation", () => {
    expect(decide(A, null, A, false).status).toBe("kept");
    expect(decide(A, null, B, false).status).toBe("conflict");
    expect(decide(A, null, B, true)).toMatchObject({ status: "added", write: true, forced: true });
  });

  test("deleted upstream: reported, deleted only with --force", () => {
    expect(decide(A, A, null, false)).toMatchObject({ status: "deleted-upstream", remove: false });
    expect(decide(A, A, null, true)).toMatchObject({ status: "deleted", remove: true, forced: false });
    expect(decide(A, B, null, true)).toMatchObject({ status: "deleted", remove: true, forced: true });
    expect(decide(A, null, null, false)).toMatchObject({ status: "deleted-upstream", remove: false, write: false });
  });
});

describe("the lock", () => {
  const lock = {
    from: "helpers_root",
    commit: "0123456789012345678901234567890123456789",
    dirty: false,
    files: {
      "z.txt": { sha256: "1".repeat(64), executable: false },
      ".github/workflows/dt.yml": { sha256: "e".repeat(64), executable: true },
      "a b.ini": { sha256: "f".repeat(64), executable: false },
    },
  };

  test("is sorted, commented and round-trips", () => {
    const text = formatLock(lock);
    expect(text.startsWith("# ")).toBe(true);
    const paths = [...text.matchAll(/^ {2}(\S.*):$/gm)].map((m) => m[1]);
    expect(paths).toEqual([".github/workflows/dt.yml", "a b.ini", "z.txt"]);
    expect(parseLock(text)).toEqual(lock);
    // Key order of the input does not matter.
    const shuffled = { ...lock, files: Object.fromEntries(Object.entries(lock.files).reverse()) };
    expect(formatLock(shuffled)).toBe(text);
    expect(text).not.toContain("dirty");
    expect(formatLock({ ...lock, dirty: true })).toContain("dirty: true");
  });

  test("a damaged lock is a usage error with its line and the fix", () => {
    expect(() => parseLock("version: 1\nfiles:\n  x: {sha256: nope, executable: false}\n")).toThrow(/files\.x: expected sha256/);
    let error: unknown;
    try {
      parseLock("version: 2\n");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtError);
    expect((error as DtError).exitCode).toBe(2);
    expect((error as DtError).where).toBe(".dt/sync.lock:1");
    expect((error as DtError).hint).toContain("git checkout -- .dt/sync.lock");
  });
});

describe("checkEntry: paths of sync.files", () => {
  const tree = testdir({ "ws/sub/pytest.ini": "x\n", "ws/sub/lib/a.txt": "a\n", "ws/other/readme": "", "outside/secret": "s\n" }).path;
  const root = join(tree, "ws");
  mkdirSync(join(root, "dir"));
  symlinkSync(join(tree, "outside"), join(root, "escape"));
  symlinkSync(join(root, "dir"), join(root, "inner"));
  symlinkSync(join(tree, "outside", "new"), join(root, "dangling"));
  symlinkSync(join(tree, "outside", "secret"), join(root, "sub", "leak"));
  symlinkSync("../sub", join(root, "other", "up"));
  const ctx = {
    root,
    from: "sub",
    fromReal: join(root, "sub"),
    subRepos: [{ path: "sub" }, { path: "other" }] as never,
    where: (i: number) => `dt.yaml:${i + 10}:5`,
  };
  const refused = (raw: string) => {
    const r = checkEntry(raw, 3, ctx);
    expect(r).toBeInstanceOf(DtError);
    const e = r as DtError;
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe("dt.yaml:13:5");
    expect(e.message).toContain(`sync.files[3] ${JSON.stringify(raw)}`);
    return e.message;
  };

  test("plain relative paths are accepted and normalised", () => {
    expect(checkEntry("./pytest.ini", 0, ctx)).toMatchObject({ path: "pytest.ini", target: join(root, "pytest.ini"), source: join(root, "sub", "pytest.ini") });
    expect(checkEntry("lib//a.txt", 0, ctx)).toMatchObject({ path: "lib/a.txt" });
  });

  test("absolute paths, '..', .git and .dt are refused", () => {
    expect(refused("/etc/passwd")).toContain("absolute");
    expect(refused("../x")).toContain("'..'");
    expect(refused("a/../../x")).toContain("'..'");
    expect(refused(".git/hooks/pre-commit")).toContain(".git");
    expect(refused(".dt/sync.lock")).toContain(".dt/");
    expect(refused("")).toContain("not a file path");
  });

  test("a symlink here that leaves the workspace is refused, as a parent or as the file", () => {
    expect(refused("escape/secret")).toContain("outside the workspace");
    expect(refused("escape/new-file")).toContain("outside the workspace");
    expect(refused("dangling")).toContain("outside the workspace");
  });

  test("a symlink that stays inside is followed", () => {
    expect(checkEntry("inner/f", 0, ctx)).toMatchObject({ path: "inner/f", target: join(root, "dir", "f") });
  });

  test("writing into a sub-repo, directly or through a symlink, is refused", () => {
    expect(refused("sub/pytest.ini")).toContain("sub-repo sub");
    expect(refused("other/up/pytest.ini")).toContain("sub-repo");
  });

  test("a source that resolves outside the source sub-repo is refused", () => {
    expect(refused("leak")).toContain("outside the sub-repo sub");
  });

  test("resolveReal follows dangling links and keeps the missing rest literally", () => {
    expect(resolveReal(join(root, "dangling"))).toBe(join(tree, "outside", "new"));
    expect(resolveReal(join(root, "inner", "a", "b"))).toBe(join(root, "dir", "a", "b"));
  });
});

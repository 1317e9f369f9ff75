import { describe, expect, test } from "bun:test";
import { decide, type FileState } from "../../../../src/core/sync/decide.ts";

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

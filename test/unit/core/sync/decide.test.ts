import { describe, expect, test } from "bun:test";
import { decide, decideLink, type FileState } from "../../../../src/core/sync/decide.ts";

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

describe("decideLink: a destination that should be dt's symlink", () => {
  const WANT = "../../helpers_root/devops/dev.Dockerfile";
  const OLD = "../../helpers_root/devops/old.Dockerfile";
  const A: FileState = { sha256: "a".repeat(64), executable: false };
  const B: FileState = { sha256: "b".repeat(64), executable: false };
  const none = { link: null, file: null };
  const link = (text: string) => ({ kind: "link" as const, text });
  const file = (state: FileState) => ({ kind: "file" as const, state });

  test("the right link is in sync, whoever made it", () => {
    expect(decideLink({ link: WANT, file: null }, link(WANT), WANT, true, false)).toMatchObject({ status: "in-sync", write: false });
    // A hand-made link of the older toolchain, never recorded: in sync, nothing rewritten.
    expect(decideLink(none, link(WANT), WANT, true, false)).toMatchObject({ status: "in-sync", write: false });
  });

  test("a missing link is created, also one dt wrote and someone removed", () => {
    expect(decideLink(none, null, WANT, true, false)).toMatchObject({ status: "added", write: true, forced: false, detail: null });
    expect(decideLink({ link: WANT, file: null }, null, WANT, true, false)).toMatchObject({ status: "added", write: true, detail: "was removed here" });
  });

  test("a wrong link dt wrote is replaced without --force", () => {
    expect(decideLink({ link: OLD, file: null }, link(OLD), WANT, true, false)).toMatchObject({ status: "updated", write: true, forced: false });
  });

  test("a link or file that is not dt's is customised: kept, replaced only with --force", () => {
    for (const here of [link(OLD), link("/abs/elsewhere"), file(A)]) {
      expect(decideLink(none, here, WANT, true, false)).toMatchObject({ status: "kept", write: false, remove: false });
      expect(decideLink(none, here, WANT, true, true)).toMatchObject({ status: "updated", write: true, forced: true });
    }
    // dt recorded another text: the link here was changed by someone, so it is theirs now.
    expect(decideLink({ link: OLD, file: null }, link("../mine"), WANT, true, false).status).toBe("kept");
    expect(decideLink(none, file(A), WANT, true, false).detail).toContain("a file here, not dt's link");
  });

  test("dt's own unchanged copy gives way to the link (copy -> link); an edited one is customised", () => {
    expect(decideLink({ link: null, file: A }, file(A), WANT, true, false)).toMatchObject({ status: "updated", write: true, forced: false });
    expect(decideLink({ link: null, file: A }, file(B), WANT, true, false)).toMatchObject({ status: "kept", write: false });
  });

  test("source deleted upstream: kept without --force, removed with it", () => {
    expect(decideLink({ link: WANT, file: null }, null, WANT, false, false)).toMatchObject({ status: "deleted-upstream", write: false, remove: false });
    expect(decideLink({ link: WANT, file: null }, link(WANT), WANT, false, false)).toMatchObject({ status: "deleted-upstream", remove: false });
    expect(decideLink({ link: WANT, file: null }, link(WANT), WANT, false, true)).toMatchObject({ status: "deleted", remove: true, forced: false });
    expect(decideLink(none, file(A), WANT, false, true)).toMatchObject({ status: "deleted", remove: true, forced: true });
  });
});

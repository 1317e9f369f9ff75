// Which branch is the default, rule by rule, on real repos: each rule is shown winning over the
// ones after it. The refs are made with update-ref, as a fetch would leave them.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { defaultBranch } from "../../../../src/core/git/default-branch.ts";
import { cleanupAll, git, makeRepo, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

/** A repo with one commit on `main`, and a way to add refs pointing at it. */
function repo() {
  const dir = makeRepo(join(testdir().path, "r"), { "README.md": "r\n" });
  const head = git(dir, ["rev-parse", "HEAD"]);
  return {
    dir,
    ref: (name: string) => git(dir, ["update-ref", name, head]),
    branch: (...args: string[]) => git(dir, ["branch", ...args]),
  };
}

describe("defaultBranch", () => {
  test("origin/HEAD first, over local main and the current branch", async () => {
    const r = repo();
    r.ref("refs/remotes/origin/develop");
    git(r.dir, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/develop"]);
    git(r.dir, ["checkout", "-q", "-b", "feature"]);
    expect(await defaultBranch(r.dir, "feature")).toEqual({ name: "develop", from: "origin/HEAD", onOrigin: true });
  });

  test("then a local main, else master, over origin's branches and the current branch", async () => {
    const r = repo();
    r.branch("master");
    r.ref("refs/remotes/origin/master");
    git(r.dir, ["checkout", "-q", "-b", "feature"]);
    expect(await defaultBranch(r.dir, "feature")).toEqual({ name: "main", from: "local", onOrigin: false });
    r.branch("-D", "main");
    expect(await defaultBranch(r.dir, "feature")).toEqual({ name: "master", from: "local", onOrigin: true });
  });

  test("then origin/main, else origin/master, among other branches on origin", async () => {
    const r = repo();
    r.branch("-m", "main", "trunk");
    r.ref("refs/remotes/origin/feature");
    r.ref("refs/remotes/origin/master");
    expect(await defaultBranch(r.dir, "trunk")).toEqual({ name: "master", from: "origin", onOrigin: true });
    r.ref("refs/remotes/origin/main");
    expect(await defaultBranch(r.dir, "trunk")).toEqual({ name: "main", from: "origin", onOrigin: true });
  });

  test("then the branch on origin when it has only one; names below main/ or beside it do not count", async () => {
    const r = repo();
    r.branch("-m", "main", "trunk");
    r.branch("mainline");
    r.branch("main/x");
    r.ref("refs/remotes/origin/release/2.x");
    expect(await defaultBranch(r.dir, null)).toEqual({ name: "release/2.x", from: "origin", onOrigin: true });
    r.ref("refs/remotes/origin/develop");
    expect(await defaultBranch(r.dir, null)).toBeNull();
  });

  test("then the current branch, a guess; nothing at all on a detached HEAD", async () => {
    const r = repo();
    r.branch("-m", "main", "trunk");
    expect(await defaultBranch(r.dir, "trunk")).toEqual({ name: "trunk", from: "current", onOrigin: false });
    expect(await defaultBranch(r.dir, null)).toBeNull();
  });
});

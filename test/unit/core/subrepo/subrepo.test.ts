import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { isLocalUrl, listSubRepos, rollForwardMessage, trackingBranch, type Move } from "../../../../src/core/subrepo/subrepo.ts";
import type { SubRepo } from "../../../../src/core/workspace/workspace.ts";
import { cleanupAll, git, makeWorkspace, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("isLocalUrl: when dt passes -c protocol.file.allow=always", () => {
  test.each([
    ["file:///srv/git/helpers", true],
    ["FILE:///srv/git/helpers", true],
    ["/srv/git/helpers", true],
    ["srv/helpers", true],
    ["https://github.com/acme/helpers.git", false],
    ["ssh://git@github.com/acme/helpers.git", false],
    ["git@github.com:acme/helpers.git", false],
    ["github.com:acme/helpers.git", false],
  ])("%s -> %p", (url, local) => {
    expect(isLocalUrl(url)).toBe(local);
  });

  test("./ and ../ follow the repo's origin; without one the repo is its own upstream", () => {
    expect(isLocalUrl("../helpers.git", "git@github.com:acme/cmamp.git")).toBe(false);
    expect(isLocalUrl("../helpers.git", "https://github.com/acme/cmamp.git")).toBe(false);
    expect(isLocalUrl("../helpers", "/srv/git/cmamp")).toBe(true);
    expect(isLocalUrl("./helpers", null)).toBe(true);
  });
});

describe("rollForwardMessage", () => {
  const move = (path: string, parent: string, commits: Move["commits"], more = 0): Move => ({
    path,
    parent,
    old: "a".repeat(40),
    new: "b".repeat(40),
    commits,
    more,
  });

  test("subject, then each move outermost first with the subjects of its new commits", () => {
    const text = rollForwardMessage("Roll forward sub-repos", [
      move("helpers_root/vendor/core", "helpers_root", [{ hash: `c${"1".repeat(39)}`, subject: "Add mean()" }]),
      move("helpers_root", ".", [{ hash: `d${"2".repeat(39)}`, subject: "Roll forward sub-repos" }], 3),
    ]);
    expect(text).toBe(
      [
        "Roll forward sub-repos",
        "",
        "helpers_root: aaaaaaa -> bbbbbbb",
        "  d222222 Roll forward sub-repos",
        "  ... and 3 more",
        "helpers_root/vendor/core: aaaaaaa -> bbbbbbb",
        "  c111111 Add mean()",
        "",
      ].join("\n"),
    );
  });

  test("paths relative to the committing repo; a move back and an unknown old commit say so", () => {
    const text = rollForwardMessage("Bump", [move("libs/shared/vendor/core", "libs/shared", []), move("libs/shared/vendor/x", "libs/shared", null)], "libs/shared");
    expect(text).toContain("vendor/core: aaaaaaa -> bbbbbbb\n  (moved back: no new commits)");
    expect(text).toContain("vendor/x: aaaaaaa -> bbbbbbb\n  (aaaaaaa is not in the local clone; no log)");
  });
});

describe("trackingBranch", () => {
  const sub = (over: Partial<SubRepo>): SubRepo => ({
    path: "lib",
    name: "lib",
    parent: ".",
    url: null,
    trackedBranch: null,
    initialised: true,
    commit: null,
    branch: null,
    dirty: null,
    ...over,
  });

  test(".gitmodules branch, else origin/HEAD, else main", () => {
    const dir = testdir({
      ".git/HEAD": "ref: refs/heads/release\n",
      "lib/.git": "gitdir: ../.git/modules/lib\n",
      ".git/modules/lib/HEAD": "0123\n",
      ".git/modules/lib/refs/remotes/origin/HEAD": "ref: refs/remotes/origin/develop\n",
      "bare/.git/HEAD": "0123\n",
    });
    expect(trackingBranch(dir.path, sub({ trackedBranch: "stable" }))).toEqual({ tracking: "stable", trackingFrom: "gitmodules" });
    expect(trackingBranch(dir.path, sub({ trackedBranch: "." }))).toEqual({ tracking: "release", trackingFrom: "gitmodules" });
    expect(trackingBranch(dir.path, sub({}))).toEqual({ tracking: "develop", trackingFrom: "origin/HEAD" });
    expect(trackingBranch(dir.path, sub({ path: "bare" }))).toEqual({ tracking: "main", trackingFrom: "default" });
  });
});

describe("listSubRepos", () => {
  test("state of each sub-repo at every depth, from any dir of the workspace", async () => {
    const ws = makeWorkspace({ runnables: 0 });
    const { root, subRepos } = await listSubRepos(join(ws.root, "libs/shared/src"));
    expect(root).toBe(ws.root);
    expect(subRepos.map((s) => [s.path, s.initialised, s.ahead, s.behind, s.dirty])).toEqual([
      ["libs/shared", true, 0, 0, false],
      ["libs/shared/vendor/core", true, 0, 0, false],
      ["libs/shared/vendor/core/vendor/level3", true, 0, 0, false],
      ["libs/optional", false, null, null, null],
    ]);
    expect(subRepos[2]!.commit).toBe(git(ws.subRepos[2]!.path, ["rev-parse", "HEAD"]));
  });
});

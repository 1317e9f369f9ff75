import { afterAll, describe, expect, test } from "bun:test";
import { trackingBranch } from "../../../../src/core/subrepo/tracking.ts";
import type { SubRepo } from "../../../../src/core/workspace/workspace.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

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

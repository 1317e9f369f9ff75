// The branch-name check against git's own: `git check-ref-format --branch` over names that
// probe every rule, so dt refuses exactly what git would (plus the lone "@", which git's
// --branch reads as HEAD rather than as a name).
import { expect, test } from "bun:test";
import { isBranchName, isRemoteName } from "../../../../src/core/git/ref-name.ts";

const NAMES = [
  "main", "feature/x", "release-1.2", "é", "a.b", "a-", "x/y/z", "v1@x",
  "-Cmain", "--orphan=evil", "-", "HEAD", "", "a b", "a..b", "a~1", "a^", "a:b", "a?b", "a*b", "a[b", "a\\b",
  "/a", "a/", "a//b", "a.", ".hidden", "a/.b", "x.lock", "a/b.lock", "a@{b", "tab\tname", "del\x7f",
];

test("isBranchName agrees with git check-ref-format --branch", () => {
  for (const name of NAMES) {
    const git = Bun.spawnSync(["git", "check-ref-format", "--branch", name], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
    expect(`${JSON.stringify(name)}: ${isBranchName(name)}`).toBe(`${JSON.stringify(name)}: ${git}`);
  }
  expect(isBranchName("@")).toBe(false);
});

test("remote names: one valid component, or '.' (the repo itself)", () => {
  expect(["origin", "upstream", "."].map(isRemoteName)).toEqual([true, true, true]);
  expect(["-x", "--upload-pack=evil", "a/b", "", ".."].map(isRemoteName)).toEqual([false, false, false, false, false]);
});

// indexedPathsNamed against indexes written by git itself, in each version git writes, compared
// with what `git ls-files` says; and the indexes it must leave to git.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { indexedPathsNamed } from "../../../../src/core/git/index-file.ts";
import { cleanupAll, git, makeRepo, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const files = {
  "changelog.txt": "# a-1.0.0\n",
  "apps/one/changelog.txt": "# b-1.0.0\n",
  "apps/one/not-changelog.txt": "x\n",
  "apps/two/deeper/still/changelog.txt": "# c-1.0.0\n",
  "sérvice dir/changelog.txt": "# d-1.0.0\n",
  // A long name (the entry's padding and version 4's prefixes over many bytes).
  [`long/${"n".repeat(200)}/${"m".repeat(200)}/changelog.txt`]: "# e-1.0.0\n",
  "changelog.txt.bak": "no\n",
};

function lsFiles(repo: string): string[] {
  const out = git(repo, ["-c", "core.quotePath=false", "ls-files", "-z", "--", "changelog.txt", "*/changelog.txt"]);
  return out.split("\0").filter(Boolean).sort();
}

describe("indexedPathsNamed", () => {
  for (const version of ["2", "3", "4"]) {
    test(`index version ${version}: the same changelog paths as git ls-files`, () => {
      const repo = makeRepo(join(testdir().path, `v${version}`), files);
      // Version 3 only when an entry needs extended flags: an intent-to-add file has them.
      mkdirSync(join(repo, "apps/added"), { recursive: true });
      writeFileSync(join(repo, "apps/added/changelog.txt"), "# f-1.0.0\n");
      git(repo, ["add", "-N", "apps/added/changelog.txt"]);
      git(repo, ["update-index", "--index-version", version]);
      const expected = lsFiles(repo);
      expect(expected.length).toBe(6);
      expect(indexedPathsNamed(join(repo, ".git/index"), "changelog.txt")?.sort()).toEqual(expected);
    });
  }

  test("a split index, a missing or foreign file: undefined, so that git is asked", () => {
    const repo = makeRepo(join(testdir().path, "split"), files);
    git(repo, ["update-index", "--split-index"]);
    expect(indexedPathsNamed(join(repo, ".git/index"), "changelog.txt")).toBeUndefined();
    expect(indexedPathsNamed(join(repo, ".git/no-such-index"), "changelog.txt")).toBeUndefined();
    expect(indexedPathsNamed(join(repo, "changelog.txt"), "changelog.txt")).toBeUndefined();
  });
});

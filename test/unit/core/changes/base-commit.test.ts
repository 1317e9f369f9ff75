// Which commit `--changed` compares with (base-commit.ts): the default branch, --base, and bad
// bases, against real git repos (no mocks).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { git, testdir, writeTree, type Workspace } from "../../../support/fixtures.ts";
import { changed, paths, commit, expectUsageError, workspaces } from "./workspaces.ts";

const copy = workspaces(["flat"]);

describe("changedRunnableDirs: the default base and bad bases", () => {
  test("origin/HEAD is the default branch; commits not pushed yet count", async () => {
    const w = copy("flat");
    const pushed = git(w.root, ["rev-parse", "HEAD"]);
    git(w.root, ["update-ref", "refs/remotes/origin/main", pushed]);
    git(w.root, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
    commit(w, ".", { "services/svc-2/app.py": "" });
    const c = await changed(w);
    expect(c.baseRef).toBe("origin/main");
    expect(c.base).toBe(pushed);
    expect(paths(c)).toEqual(["services/svc-2"]);
  });

  test("on main with origin/main but no origin/HEAD, the base is origin/main", async () => {
    const w = copy("flat");
    git(w.root, ["update-ref", "refs/remotes/origin/main", git(w.root, ["rev-parse", "HEAD"])]);
    commit(w, ".", { "services/svc-1/app.py": "" });
    const c = await changed(w);
    expect(c.baseRef).toBe("origin/main");
    expect(paths(c)).toEqual(["services/svc-1"]);
  });

  test("with no main or master anywhere, the only branch on origin is the base", async () => {
    const w = copy("flat");
    const pushed = git(w.root, ["rev-parse", "HEAD"]);
    git(w.root, ["update-ref", "refs/remotes/origin/develop", pushed]);
    git(w.root, ["branch", "-m", "main", "topic"]);
    commit(w, ".", { "services/svc-2/app.py": "" });
    const c = await changed(w);
    expect(c.baseRef).toBe("origin/develop");
    expect(c.base).toBe(pushed);
    expect(paths(c)).toEqual(["services/svc-2"]);
  });

  test("master is used when there is no main", async () => {
    const w = copy("flat");
    git(w.root, ["branch", "-m", "main", "master"]);
    git(w.root, ["checkout", "-q", "-b", "topic"]);
    commit(w, ".", { "services/svc-1/app.py": "" });
    const c = await changed(w);
    expect(c.baseRef).toBe("master");
    expect(paths(c)).toEqual(["services/svc-1"]);
  });

  test("no default branch to be found is a usage error asking for --base", async () => {
    const w = copy("flat");
    git(w.root, ["branch", "-m", "main", "trunk"]);
    await expectUsageError(changed(w), /default branch/);
  });

  test("a bad --base is a usage error (exit 2) with a hint", async () => {
    const w = copy("flat");
    await expectUsageError(changed(w, "no-such-branch"), /--base no-such-branch is not a commit/);
    await expectUsageError(changed(w, "--output=/tmp/x"), /not a git ref/);
  });

  test("a --base with no common history is a usage error", async () => {
    const w = copy("flat");
    git(w.root, ["checkout", "-q", "--orphan", "island"]);
    git(w.root, ["commit", "-q", "-m", "unrelated"]);
    git(w.root, ["checkout", "-q", "main"]);
    await expectUsageError(changed(w, "island"), /no common history/);
  });

  test("a repo with no commit yet: everything in it is new", async () => {
    const tmp = testdir();
    git(tmp.path, ["init", "-q", "ws"]);
    const root = join(tmp.path, "ws");
    writeTree(root, { "changelog.txt": "# ws-0.1.0\n- 2026-11-20\n- Initial\n", "devops/.keep": "" });
    const c = await changed({ root } as Workspace);
    expect(c.base).toBe("");
    expect(c.files).toEqual(["changelog.txt", "devops/.keep"]);
    expect(c.dirs).toEqual([
      {
        path: ".",
        reasons: [
          "changed: changelog.txt, devops/.keep",
          "devops/ changed: the image is stale, rebuild it with 'dt docker build'",
        ],
        staleImage: true,
      },
    ]);
  });
});

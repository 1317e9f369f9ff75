// `--changed` against real git workspaces (no mocks): a runnable root with services/svc-1 and
// services/svc-2, sub-repos libs/shared > vendor/core > vendor/level3, and libs/optional left
// uninitialised (see test/support/fixtures.ts).
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { changedRunnableDirs } from "../../../../src/core/changes/changed-dirs.ts";
import { scanWorkspace } from "../../../../src/core/workspace/workspace.ts";
import { git, makeWorkspace, testdir, writeTree, type Workspace } from "../../../support/fixtures.ts";
import { SHARED, CORE, LEVEL3, changed, paths, reasonsOf, commit, commitPointer, workspaces } from "./workspaces.ts";

const copy = workspaces(["full"]);

describe("changedRunnableDirs: the root repo", () => {
  test("nothing changed selects nothing; the base is HEAD on main", async () => {
    const w = copy("full");
    const c = await changed(w);
    expect(c.files).toEqual([]);
    expect(c.dirs).toEqual([]);
    expect(c.baseRef).toBe("main");
    expect(c.base).toBe(git(w.root, ["rev-parse", "HEAD"]));
  });

  test("one file changed in one dir selects only that dir", async () => {
    const w = copy("full");
    writeFileSync(join(w.root, "services/svc-1/changelog.txt"), "# svc-1-0.2.0\n- 2026-11-21\n- More\n");
    const c = await changed(w);
    expect(c.files).toEqual(["services/svc-1/changelog.txt"]);
    expect(c.dirs).toEqual([
      { path: "services/svc-1", reasons: ["changed: services/svc-1/changelog.txt"], staleImage: false },
    ]);
  });

  test("staged, unstaged and untracked changes all count, paths with spaces intact", async () => {
    const w = copy("full");
    writeTree(w.root, { "services/svc-1/my module.py": "x = 1\n" }); // untracked
    writeTree(w.root, { "services/svc-2/app.py": "y = 2\n" });
    git(w.root, ["add", "services/svc-2/app.py"]); // staged
    writeFileSync(join(w.root, "README.md"), "# changed\n"); // unstaged
    const c = await changed(w);
    expect(c.files).toEqual(["README.md", "services/svc-1/my module.py", "services/svc-2/app.py"]);
    expect(paths(c)).toEqual([".", "services/svc-1", "services/svc-2"]);
    expect(reasonsOf(c, ".")).toEqual(["changed: README.md"]);
  });

  test("ignored files do not count", async () => {
    const w = copy("full");
    commit(w, ".", { ".gitignore": "*.log\n" });
    writeTree(w.root, { "services/svc-1/run.log": "noise\n" });
    expect((await changed(w)).files).toEqual([]);
  });

  test("commits on a feature branch count against the merge-base with main, not main's later commits", async () => {
    const w = copy("full");
    const forkPoint = git(w.root, ["rev-parse", "HEAD"]);
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    commit(w, ".", { "services/svc-2/app.py": "y = 2\n" });
    // main moves on after the fork: its change is not ours.
    git(w.root, ["checkout", "-q", "main"]);
    commit(w, ".", { "services/svc-1/other.py": "z = 3\n" });
    git(w.root, ["checkout", "-q", "feature"]);
    const c = await changed(w);
    expect(c.baseRef).toBe("main");
    expect(c.base).toBe(forkPoint);
    expect(c.files).toEqual(["services/svc-2/app.py"]);
    expect(paths(c)).toEqual(["services/svc-2"]);
  });

  test("a file moved between dirs selects both", async () => {
    const w = copy("full");
    commit(w, ".", { "services/svc-1/util.py": "def f():\n    return 1\n" });
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    git(w.root, ["mv", "services/svc-1/util.py", "services/svc-2/util.py"]);
    git(w.root, ["commit", "-q", "-m", "move"]);
    const c = await changed(w);
    expect(c.files).toEqual(["services/svc-1/util.py", "services/svc-2/util.py"]);
    expect(paths(c)).toEqual(["services/svc-1", "services/svc-2"]);
  });

  test("--base REF is explicit and reasons cap their examples", async () => {
    const w = copy("full");
    commit(w, ".", { "services/svc-1/a.py": "", "services/svc-1/b.py": "" }, "first");
    const first = git(w.root, ["rev-parse", "HEAD"]);
    commit(w, ".", { "services/svc-1/c.py": "", "services/svc-1/d.py": "", "services/svc-1/e.py": "" });
    const c = await changed(w, "HEAD~1");
    expect(c.baseRef).toBe("HEAD~1");
    expect(c.base).toBe(first);
    expect(c.dirs).toEqual([
      {
        path: "services/svc-1",
        reasons: ["changed: services/svc-1/c.py, services/svc-1/d.py, services/svc-1/e.py"],
        staleImage: false,
      },
    ]);
    writeTree(w.root, { "services/svc-1/f.py": "" });
    expect(reasonsOf(await changed(w, "HEAD~1"), "services/svc-1")).toEqual([
      "changed: services/svc-1/c.py, services/svc-1/d.py, services/svc-1/e.py and 1 more",
    ]);
  });

  test("a change in a dir's devops/ marks its image stale", async () => {
    const w = copy("full");
    writeTree(w.root, { "services/svc-1/devops/docker_build/dev.Dockerfile": "FROM python:3.12-slim\n" });
    writeTree(w.root, { "services/svc-2/app.py": "" });
    writeTree(w.root, { "devops/docker_build/dockerignore.dev": "*.pyc\n" });
    const c = await changed(w);
    expect(c.dirs.map((d) => [d.path, d.staleImage])).toEqual([
      [".", true],
      ["services/svc-1", true],
      ["services/svc-2", false],
    ]);
    expect(reasonsOf(c, "services/svc-1")).toEqual([
      "changed: services/svc-1/devops/docker_build/dev.Dockerfile",
      "services/svc-1/devops/ changed: the image is stale, rebuild it with 'dt docker build'",
    ]);
    expect(reasonsOf(c, ".")[1]).toBe("devops/ changed: the image is stale, rebuild it with 'dt docker build'");
  });

  test("files outside every runnable dir and every depends_on select nothing but are listed", async () => {
    const tmp = testdir();
    const root = join(tmp.path, "ws");
    git(tmp.path, ["init", "-q", root]);
    writeTree(root, {
      "apps/pricer/changelog.txt": "# pricer-0.1.0\n- 2026-11-20\n- Initial\n",
      "apps/pricer/devops/.keep": "",
      "apps/pricer/dt.yaml": "test:\n  depends_on: [common/lib.py]\n",
      "common/lib.py": "",
      "docs/guide.md": "",
    });
    git(root, ["add", "-A"]);
    git(root, ["commit", "-q", "-m", "init"]);
    writeTree(root, { "docs/guide.md": "more\n" });
    const w = { root } as Workspace;
    let c = await changed(w);
    expect(c.files).toEqual(["docs/guide.md"]);
    expect(c.dirs).toEqual([]);
    // A depends_on naming a file selects the dir when that file changes.
    writeTree(root, { "common/lib.py": "x = 1\n" });
    c = await changed(w);
    expect(c.dirs).toEqual([
      { path: "apps/pricer", reasons: ["depends on common/lib.py (changed: common/lib.py)"], staleImage: false },
    ]);
  });
});

describe("changedRunnableDirs: sub-repos", () => {
  /** svc-1 depends on libs/shared; committed on main, so it is part of the base. */
  function withDependent(): Workspace {
    const w = copy("full");
    commit(w, ".", { "services/svc-1/dt.yaml": "test:\n  depends_on: [libs/shared/]\n" }, "svc-1 uses shared");
    return w;
  }

  test("a commit in a sub-repo and a moved pointer select the dirs in it and the dirs that depend on it", async () => {
    const w = withDependent();
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    const before = git(join(w.root, SHARED), ["rev-parse", "HEAD"]);
    const after = commit(w, SHARED, { "src/shared.py": 'NAME = "shared2"\n' });
    commitPointer(w, ".", SHARED);
    const c = await changed(w);
    expect(c.files).toEqual(["libs/shared/src/shared.py"]);
    // The root contains libs/shared/src (no runnable dir nearer); svc-1 depends on it.
    expect(paths(c)).toEqual([".", "services/svc-1"]);
    const moved = `sub-repo libs/shared moved ${before.slice(0, 7)}..${after.slice(0, 7)}`;
    expect(reasonsOf(c, "services/svc-1")).toEqual([
      "depends on libs/shared (changed: libs/shared/src/shared.py)",
      moved,
    ]);
    expect(reasonsOf(c, ".")).toEqual(["changed: libs/shared/src/shared.py", moved]);
  });

  test("a change in a runnable dir inside the sub-repo selects it, not the root", async () => {
    const w = withDependent();
    commit(w, SHARED, { "tools/shared-tool/cli.py": "" });
    // Pointer moved in the working tree only (not staged): it counts the same.
    const c = await changed(w);
    expect(c.files).toEqual(["libs/shared/tools/shared-tool/cli.py"]);
    expect(paths(c)).toEqual(["libs/shared/tools/shared-tool", "services/svc-1"]);
  });

  test("a sub-repo's uncommitted changes count without a pointer move", async () => {
    const w = copy("full");
    writeTree(join(w.root, LEVEL3), { "tools/level3-tool/new.py": "" });
    writeFileSync(join(w.root, CORE, "README.md"), "# core, edited\n");
    const c = await changed(w);
    expect(c.files).toEqual([`${CORE}/README.md`, `${LEVEL3}/tools/level3-tool/new.py`]);
    expect(paths(c)).toEqual([CORE, `${LEVEL3}/tools/level3-tool`]);
  });

  test("a nested sub-repo's pointer moved at depth 2 is followed through its parent", async () => {
    const w = copy("full");
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    const coreBefore = git(join(w.root, CORE), ["rev-parse", "HEAD"]);
    const sharedBefore = git(join(w.root, SHARED), ["rev-parse", "HEAD"]);
    const coreAfter = commit(w, CORE, { "src/core.py": 'NAME = "core2"\n' });
    commitPointer(w, SHARED, "vendor/core");
    const sharedAfter = git(join(w.root, SHARED), ["rev-parse", "HEAD"]);
    commitPointer(w, ".", SHARED);
    const c = await changed(w);
    expect(c.files).toEqual([`${CORE}/src/core.py`]);
    expect(paths(c)).toEqual([CORE]);
    expect(reasonsOf(c, CORE)).toEqual([
      `changed: ${CORE}/src/core.py`,
      `sub-repo libs/shared moved ${sharedBefore.slice(0, 7)}..${sharedAfter.slice(0, 7)}`,
      `sub-repo ${CORE} moved ${coreBefore.slice(0, 7)}..${coreAfter.slice(0, 7)}`,
    ]);
  });

  test("a nested pointer moved only in its parent's working tree counts too", async () => {
    const w = copy("full");
    commit(w, LEVEL3, { "tools/level3-tool/x.py": "" });
    commit(w, LEVEL3, { "src/level3.py": "" });
    // Neither core nor shared nor the root records the move.
    const c = await changed(w);
    expect(c.files).toEqual([`${LEVEL3}/src/level3.py`, `${LEVEL3}/tools/level3-tool/x.py`]);
    expect(paths(c)).toEqual([CORE, `${LEVEL3}/tools/level3-tool`]);
  });

  test("a sub-repo whose old commit is missing counts as changed as a whole", async () => {
    const w = copy("full");
    // A commit the workspace's clone of libs/shared has never fetched.
    writeTree(join(w.upstreams, "shared"), { "src/extra.py": "" });
    git(join(w.upstreams, "shared"), ["add", "-A"]);
    git(join(w.upstreams, "shared"), ["commit", "-q", "-m", "unfetched"]);
    const unfetched = git(join(w.upstreams, "shared"), ["rev-parse", "HEAD"]);
    git(w.root, ["update-index", "--cacheinfo", `160000,${unfetched},${SHARED}`]);
    git(w.root, ["commit", "-q", "-m", "point at an unfetched commit"]);
    // Base = HEAD (on main), whose pointer the checked-out sub-repo does not have.
    const c = await changed(w);
    expect(c.files).toEqual([SHARED]);
    expect(paths(c)).toEqual([".", `${SHARED}/tools/shared-tool`, CORE, `${LEVEL3}/tools/level3-tool`]);
    const inside = c.dirs.find((d) => d.path === `${SHARED}/tools/shared-tool`)!;
    expect(inside.staleImage).toBe(true);
    const old = unfetched.slice(0, 7);
    expect(inside.reasons[0]).toMatch(
      new RegExp(
        `^sub-repo libs/shared moved ${old}\\.\\.[0-9a-f]{7}; ` +
          `${old} is not in the sub-repo \\(shallow or not fetched\\), so all of it counts as changed$`,
      ),
    );
    expect(reasonsOf(c, ".")).toEqual(["changed: libs/shared", inside.reasons[0]!]);
  });

  test("a moved pointer of a sub-repo that is not checked out selects its dependents", async () => {
    const w = copy("full");
    commit(w, ".", { "services/svc-2/dt.yaml": "test:\n  depends_on: [libs/optional/src]\n" });
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    const elsewhere = git(w.root, ["rev-parse", "HEAD"]);
    git(w.root, ["update-index", "--cacheinfo", `160000,${elsewhere},libs/optional`]);
    git(w.root, ["commit", "-q", "-m", "move optional"]);
    const c = await changed(w);
    expect(c.files).toEqual(["libs/optional"]);
    expect(paths(c)).toEqual([".", "services/svc-2"]);
    expect(reasonsOf(c, "services/svc-2")).toEqual([
      "depends on libs/optional/src (changed: libs/optional)",
      expect.stringMatching(
        /^sub-repo libs\/optional moved [0-9a-f]{7}\.\.[0-9a-f]{7}; it is not checked out, so all of it counts as changed$/,
      ),
    ]);
  });

  test("a sub-repo added since the base counts as a whole", async () => {
    const w = makeWorkspace({ depth: 0, uninitialized: false });
    const upstream = join(w.upstreams, "extra");
    git(w.path, ["init", "-q", upstream]);
    writeTree(upstream, { "changelog.txt": "# extra-0.1.0\n- 2026-11-20\n- Initial\n", "devops/.keep": "" });
    git(upstream, ["add", "-A"]);
    git(upstream, ["commit", "-q", "-m", "init"]);
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    git(w.root, ["submodule", "add", "-q", `file://${upstream}`, "libs/extra"]);
    git(w.root, ["commit", "-q", "-m", "add extra"]);
    const c = await changed(w);
    expect(c.files).toEqual([".gitmodules", "libs/extra"]);
    expect(paths(c)).toEqual([".", "libs/extra"]);
    expect(reasonsOf(c, "libs/extra")[0]).toBe("sub-repo libs/extra was added: all of it counts as changed");
  });
});

describe("changedRunnableDirs: cost", () => {
  test("git calls: 2 in the root for the base, then 1 per repo, 2 per repo whose pointer moved, 1 for the links", async () => {
    const w = copy("full");
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    commit(w, ".", { "services/svc-1/app.py": "" });
    let ws = await scanWorkspace(w.root);
    const trace = join(w.path, "trace.txt");
    const count = async () => {
      writeFileSync(trace, "");
      process.env.GIT_TRACE = trace;
      try {
        await changedRunnableDirs(ws);
      } finally {
        delete process.env.GIT_TRACE;
      }
      // Each git process logs its command line once as "trace: built-in: git CMD".
      return readFileSync(trace, "utf8")
        .split("\n")
        .filter((l) => /trace: built-in: git /.test(l)).length;
    };
    // Root: for-each-ref, merge-base, status, diff, ls-files (the links); 3 sub-repos: one status each.
    expect(await count()).toBe(8);
    commit(w, SHARED, { "src/shared.py": "" });
    ws = await scanWorkspace(w.root);
    // libs/shared moved: its status plus a diff from the old pointer.
    expect(await count()).toBe(9);
  });
});

// dt subrepo add|ls|update|pull|roll-forward|foreach, from the compiled binary, on real git
// workspaces with real submodules nested 3 deep. dt runs WITHOUT the fixtures'
// protocol.file.allow=always (GIT_CONFIG_*), as on a user's machine with git >= 2.38: it must
// pass the flag itself for the file:// sub-repos.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addSubmodule, cleanupAll, git, makeRepo, makeWorkspace, testdir } from "../support/fixtures.ts";
import { dt as dtRaw, dtJson as dtJsonRaw, type DtOptions } from "../support/dt.ts";

afterAll(cleanupAll);
setDefaultTimeout(120_000);

const PLAIN_GIT = { GIT_CONFIG_COUNT: undefined, GIT_CONFIG_KEY_0: undefined, GIT_CONFIG_VALUE_0: undefined };
const dt = (args: string[], o: DtOptions) => dtRaw(args, { ...o, env: { ...PLAIN_GIT, ...o.env } });
const dtJson = (args: string[], o: DtOptions) => dtJsonRaw(args, { ...o, env: { ...PLAIN_GIT, ...o.env } });

/** Commit a new file in `dir`; returns the new HEAD. */
function commitFile(dir: string, file: string, subject: string): string {
  writeFileSync(join(dir, file), `${subject}\n`);
  git(dir, ["add", file]);
  git(dir, ["commit", "-q", "-m", subject]);
  return git(dir, ["rev-parse", "HEAD"]);
}

const head = (dir: string) => git(dir, ["rev-parse", "HEAD"]);
const commitCount = (dir: string) => Number(git(dir, ["rev-list", "--count", "HEAD"]));
const recorded = (dir: string, path: string) => git(dir, ["rev-parse", `HEAD:${path}`]);

describe("dt subrepo ls", () => {
  test("every sub-repo with commit, branch, tracked branch, ahead/behind, dirty, initialised", async () => {
    const ws = makeWorkspace();
    const { result, json } = await dtJson(["subrepo", "ls", "--json"], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(json.root).toBe(ws.root);
    const paths = json.subRepos.map((s: any) => s.path);
    expect(paths).toEqual([...ws.subRepos.map((s) => s.rel), "libs/optional"]);
    const core = json.subRepos.find((s: any) => s.path === "libs/shared/vendor/core");
    expect(core).toMatchObject({ initialised: true, branch: null, tracking: "main", trackingFrom: "origin/HEAD", ahead: 0, behind: 0, dirty: false });
    expect(core.commit).toBe(head(ws.subRepos[1]!.path));
    expect(json.subRepos.find((s: any) => s.path === "libs/optional")).toMatchObject({ initialised: false, commit: null, ahead: null, behind: null });
  });

  test("ahead/behind against origin/BRANCH after a commit upstream + fetch, and a local commit", async () => {
    const ws = makeWorkspace({ depth: 2, uninitialized: false });
    const core = ws.subRepos[1]!;
    commitFile(join(ws.upstreams, "core"), "a.py", "Upstream a");
    commitFile(join(ws.upstreams, "core"), "b.py", "Upstream b");
    git(core.path, ["fetch", "-q"]);
    commitFile(core.path, "local.py", "Local change");
    writeFileSync(join(ws.subRepos[0]!.path, "scratch.txt"), "x");
    const { json } = await dtJson(["subrepo", "ls", "--json"], { cwd: ws.root });
    expect(json.subRepos.find((s: any) => s.path === core.rel)).toMatchObject({ ahead: 1, behind: 2, dirty: false });
    expect(json.subRepos.find((s: any) => s.path === "libs/shared")).toMatchObject({ ahead: 0, behind: 0, dirty: true, branch: "main" });
    const table = await dt(["subrepo", "ls"], { cwd: join(ws.root, "services") });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/libs\/shared\/vendor\/core\s+[0-9a-f]{7}\s+\(detached\)\s+origin\/main\s+ahead 1, behind 2\s+clean/);
    expect(table.stdout).toMatch(/libs\/shared\s+[0-9a-f]{7}\s+main\s+origin\/main\s+up to date\s+dirty/);
  });
});

describe("dt subrepo roll-forward", () => {
  test("after a commit in the sub-repo: one super-repo commit whose message names the old and new commits", async () => {
    const ws = makeWorkspace({ depth: 1, uninitialized: false });
    const shared = ws.subRepos[0]!;
    const old = recorded(ws.root, "libs/shared");
    const now = commitFile(shared.path, "mean.py", "Add mean()");
    // Something unrelated staged in the root stays staged and out of the commit.
    appendFileSync(join(ws.root, "README.md"), "more\n");
    git(ws.root, ["add", "README.md"]);
    const before = commitCount(ws.root);

    const r = await dt(["subrepo", "roll-forward"], { cwd: ws.root });
    expect(r.code).toBe(0);
    expect(commitCount(ws.root)).toBe(before + 1);
    expect(recorded(ws.root, "libs/shared")).toBe(now);
    const message = git(ws.root, ["log", "-1", "--format=%B"]);
    expect(message).toBe(`Roll forward sub-repos\n\nlibs/shared: ${old.slice(0, 7)} -> ${now.slice(0, 7)}\n  ${now.slice(0, 7)} Add mean()`);
    expect(git(ws.root, ["show", "--name-only", "--format=", "HEAD"])).toBe("libs/shared");
    expect(git(ws.root, ["diff", "--cached", "--name-only"])).toBe("README.md");
    expect(r.stdout).toContain(`libs/shared: ${old.slice(0, 7)} -> ${now.slice(0, 7)}`);

    const again = await dt(["subrepo", "roll-forward"], { cwd: ws.root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to roll forward");
    expect(commitCount(ws.root)).toBe(before + 1);
  });

  test("a nested move is committed in its parent sub-repo first; the root gets one commit naming both", async () => {
    const ws = makeWorkspace({ uninitialized: false });
    const [shared, core, level3] = ws.subRepos;
    const oldCore = recorded(shared!.path, "vendor/core");
    const oldShared = head(shared!.path);
    const newCore = commitFile(core!.path, "x.py", "Add x");
    const before = { root: commitCount(ws.root), shared: commitCount(shared!.path), level3: head(level3!.path) };

    const { result, json } = await dtJson(["subrepo", "roll-forward", "--json", "-m", "Bump core"], { cwd: join(ws.root, "services") });
    expect(result.code).toBe(0);
    expect(commitCount(ws.root)).toBe(before.root + 1);
    expect(commitCount(shared!.path)).toBe(before.shared + 1);
    expect(head(level3!.path)).toBe(before.level3);
    expect(recorded(shared!.path, "vendor/core")).toBe(newCore);
    const newShared = head(shared!.path);
    expect(recorded(ws.root, "libs/shared")).toBe(newShared);
    expect(json.moves.map((m: any) => [m.path, m.old, m.new])).toEqual([
      ["libs/shared", oldShared, newShared],
      ["libs/shared/vendor/core", oldCore, newCore],
    ]);
    expect(json.commits.map((c: any) => c.repo)).toEqual(["libs/shared", "."]);
    const rootMessage = git(ws.root, ["log", "-1", "--format=%B"]);
    expect(rootMessage.split("\n")[0]).toBe("Bump core");
    expect(rootMessage).toContain(`libs/shared: ${oldShared.slice(0, 7)} -> ${newShared.slice(0, 7)}`);
    expect(rootMessage).toContain(`libs/shared/vendor/core: ${oldCore.slice(0, 7)} -> ${newCore.slice(0, 7)}\n  ${newCore.slice(0, 7)} Add x`);
    expect(git(shared!.path, ["log", "-1", "--format=%B"])).toContain(`vendor/core: ${oldCore.slice(0, 7)} -> ${newCore.slice(0, 7)}`);
    expect(git(ws.root, ["status", "--porcelain"])).toBe("");
  });

  test("PATH rolls forward only that sub-repo; a dirty sub-repo or an unknown path is refused", async () => {
    const ws = makeWorkspace({ depth: 1, runnables: 0 });
    const extra = makeRepo(join(ws.upstreams, "extra"), { "e.py": "E = 1\n" });
    addSubmodule(ws.root, extra, "libs/extra");
    const shared = ws.subRepos[0]!;
    const newShared = commitFile(shared.path, "s.py", "Shared s");
    const oldExtra = recorded(ws.root, "libs/extra");
    commitFile(join(ws.root, "libs/extra"), "e2.py", "Extra e2");

    const unknown = await dt(["subrepo", "roll-forward", "libs/nope"], { cwd: ws.root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("libs/nope is not a sub-repo");

    const one = await dt(["subrepo", "roll-forward", "shared"], { cwd: join(ws.root, "libs") });
    expect(one.code).toBe(0);
    expect(recorded(ws.root, "libs/shared")).toBe(newShared);
    expect(recorded(ws.root, "libs/extra")).toBe(oldExtra);

    writeFileSync(join(ws.root, "libs/extra/e.py"), "E = 2\n");
    const dirty = await dt(["subrepo", "roll-forward"], { cwd: ws.root });
    expect(dirty.code).toBe(2);
    expect(dirty.stderr).toContain("libs/extra has uncommitted changes");
    expect(dirty.stderr).toContain("commit or stash");
    expect(recorded(ws.root, "libs/extra")).toBe(oldExtra);
  });
});

describe("dt subrepo pull", () => {
  test("fast-forwards each sub-repo to its remote branch and moves no pointer", async () => {
    const ws = makeWorkspace({ depth: 2, uninitialized: false });
    const [shared, core] = ws.subRepos;
    // libs/shared is on main (submodule add); core is detached but .gitmodules tracks main.
    const upstream = join(ws.upstreams, "shared");
    git(upstream, ["config", "-f", ".gitmodules", "submodule.vendor/core.branch", "main"]);
    git(upstream, ["commit", "-q", "-am", "Track main"]);
    git(shared!.path, ["pull", "-q", "--ff-only"]);
    const upShared = commitFile(join(ws.upstreams, "shared"), "up.py", "Upstream shared");
    const upCore = commitFile(join(ws.upstreams, "core"), "up.py", "Upstream core");
    const oldCore = head(core!.path);
    const pointer = recorded(ws.root, "libs/shared");

    const { result, json } = await dtJson(["subrepo", "pull", "--json"], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(head(shared!.path)).not.toBe(pointer);
    expect(git(shared!.path, ["log", "--format=%s", "-3"])).toContain("Upstream shared");
    expect(git(shared!.path, ["merge-base", "--is-ancestor", upShared, "HEAD"])).toBe("");
    expect(head(core!.path)).toBe(upCore);
    expect(git(core!.path, ["branch", "--show-current"])).toBe("main");
    expect(json.pulled.find((p: any) => p.path === core!.rel)).toMatchObject({ branch: "main", old: oldCore, new: upCore, switched: true });
    expect(recorded(ws.root, "libs/shared")).toBe(pointer);
    expect(result.stderr).toContain(`${core!.rel} (main, switched from detached HEAD): ${oldCore.slice(0, 7)} -> ${upCore.slice(0, 7)}`);
  });

  test("refuses a dirty sub-repo, a detached one without a tracked branch, a missing remote", async () => {
    const ws = makeWorkspace({ depth: 2, uninitialized: false });
    const [shared, core] = ws.subRepos;
    const before = head(shared!.path);
    commitFile(join(ws.upstreams, "shared"), "up.py", "Upstream shared");

    const detached = await dt(["subrepo", "pull"], { cwd: ws.root });
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain(`${core!.rel} is on a detached HEAD`);
    expect(detached.stderr).toContain(`git -C ${core!.rel} switch main`);
    expect(head(shared!.path)).toBe(before); // checked everything before touching anything

    git(core!.path, ["switch", "-q", "main"]);
    writeFileSync(join(core!.path, "README.md"), "changed\n");
    const dirty = await dt(["subrepo", "pull"], { cwd: join(ws.root, "libs") });
    expect(dirty.code).toBe(2);
    expect(dirty.stderr).toContain(`${core!.rel} has uncommitted changes`);
    expect(dirty.stderr).toContain("git -C shared/vendor/core status");
    git(core!.path, ["checkout", "-q", "--", "README.md"]);

    git(core!.path, ["remote", "remove", "origin"]);
    const noRemote = await dt(["subrepo", "pull"], { cwd: ws.root });
    expect(noRemote.code).toBe(3);
    expect(noRemote.stderr).toContain(`${core!.rel} has no remote 'origin'`);
    expect(noRemote.stderr).toContain("remote add origin");
    expect(head(shared!.path)).toBe(before);
  });
});

describe("dt subrepo add", () => {
  test("adds a file:// repo in the repo that contains PATH and initialises its own sub-repos", async () => {
    const ws = makeWorkspace({ depth: 1, runnables: 0, uninitialized: false });
    const inner = makeRepo(join(ws.upstreams, "inner"), { "i.py": "I = 1\n" });
    const helpers = makeRepo(join(ws.upstreams, "helpers"), { "h.py": "H = 1\n" });
    addSubmodule(helpers, inner, "vendor/inner");

    const commits = commitCount(ws.root);
    const { result, json } = await dtJson(["subrepo", "add", `file://${helpers}`, "helpers_root", "--json"], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(json).toMatchObject({ repo: ".", path: "helpers_root", url: `file://${helpers}`, nested: ["helpers_root/vendor/inner"] });
    expect(readFileSync(join(ws.root, "helpers_root/vendor/inner/i.py"), "utf8")).toBe("I = 1\n");
    expect(readFileSync(join(ws.root, ".gitmodules"), "utf8")).toContain(`url = file://${helpers}`);
    expect(git(ws.root, ["diff", "--cached", "--name-only"]).split("\n").sort()).toEqual([".gitmodules", "helpers_root"]);
    expect(commitCount(ws.root)).toBe(commits); // staged, not committed

    // A local path, from inside a sub-repo: added to that sub-repo, on the branch asked for.
    git(inner, ["branch", "stable"]);
    const sub = await dt(["subrepo", "add", inner, "vendor/inner2", "--branch", "stable"], { cwd: ws.subRepos[0]!.path });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("added libs/shared/vendor/inner2");
    expect(sub.stderr).toContain("git -C libs/shared commit");
    expect(readFileSync(join(ws.subRepos[0]!.path, ".gitmodules"), "utf8")).toContain("branch = stable");
    expect(git(join(ws.subRepos[0]!.path, "vendor/inner2"), ["branch", "--show-current"])).toBe("stable");

    const twice = await dt(["subrepo", "add", inner, "helpers_root"], { cwd: ws.root });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("helpers_root is already a sub-repo");
  });
});

describe("dt subrepo update", () => {
  test("initialises a declared but uninitialised sub-repo and checks out recorded commits", async () => {
    const ws = makeWorkspace({ depth: 2 });
    const core = ws.subRepos[1]!;
    const recordedCore = head(core.path);
    const wip = commitFile(core.path, "wip.py", "Work in progress");

    const { result, json } = await dtJson(["subrepo", "update", "--json"], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(json.changes).toEqual([
      { path: core.rel, kind: "moved", old: wip, new: recordedCore, oldBranch: null },
      { path: "libs/optional", kind: "initialised", old: null, new: head(ws.uninitialized!.path), oldBranch: null },
    ]);
    expect(head(core.path)).toBe(recordedCore);
    expect(readFileSync(join(ws.uninitialized!.path, "README.md"), "utf8")).toBe("# optional\n");

    const again = await dt(["subrepo", "update"], { cwd: ws.root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("all 3 sub-repos already at their recorded commits");
  });
});

describe("dt subrepo foreach", () => {
  test("runs in every sub-repo at 3 levels, outermost first, with DT_SUBREPO_PATH and DT_SUBREPO_NAME", async () => {
    const ws = makeWorkspace();
    const r = await dt(["subrepo", "foreach", "--", "sh", "-c", 'echo "$DT_SUBREPO_PATH|$DT_SUBREPO_NAME|$(pwd)"'], { cwd: join(ws.root, "services") });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(ws.subRepos.map((s) => `${s.rel}|${s.rel.split("/").slice(-2).join("/")}|${s.path}`));
    expect(r.stderr).toContain("==> libs/shared/vendor/core/vendor/level3");
  });

  test("stops at the first failure with its exit code; --keep-going runs everywhere", async () => {
    const ws = makeWorkspace({ uninitialized: false });
    const script = 'echo "$DT_SUBREPO_PATH"; [ "$DT_SUBREPO_NAME" != vendor/core ] || exit 7';
    const stop = await dt(["subrepo", "foreach", "--", "sh", "-c", script], { cwd: ws.root });
    expect(stop.code).toBe(7);
    expect(stop.stdout.trim().split("\n")).toEqual(["libs/shared", "libs/shared/vendor/core"]);
    const all = await dt(["subrepo", "foreach", "--keep-going", "--", "sh", "-c", script], { cwd: ws.root });
    expect(all.code).toBe(7);
    expect(all.stdout.trim().split("\n")).toEqual(ws.subRepos.map((s) => s.rel));
    const missing = await dt(["subrepo", "foreach", "--", "no-such-program-dt"], { cwd: ws.root });
    expect(missing.code).toBe(3);
    const none = await dt(["subrepo", "foreach"], { cwd: ws.root });
    expect(none.code).toBe(2);
  });
});

test("outside a git repository: usage error", async () => {
  const dir = testdir();
  const r = await dt(["subrepo", "ls"], { cwd: dir.path });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("not inside a git repository");
});

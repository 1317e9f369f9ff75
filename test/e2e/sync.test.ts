// dt sync on real git repos with a real sub-repo, through the compiled binary.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addSubmodule, cleanupAll, git, makeRepo, testdir, writeTree } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";

afterAll(cleanupAll);

const UPSTREAM = {
  "pytest.ini": "[pytest]\nmarkers =\n    slow: slow tests\n",
  "conftest.py": "import pytest\n",
  "dev_scripts/lint.sh": "#!/bin/sh\nruff check .\n",
  "README.md": "# helpers\n",
};

interface Setup {
  ws: string;
  /** The sub-repo as checked out in the workspace. */
  sub: string;
  outside: string;
}

/** A workspace whose dt.yaml syncs `files` from its sub-repo helpers_root. */
function setup(files: string[], upstream: Record<string, string> = UPSTREAM, prepare?: (helpers: string) => void): Setup {
  const tmp = testdir().path;
  const helpers = makeRepo(join(tmp, "helpers"), upstream);
  if (prepare) {
    prepare(helpers);
    git(helpers, ["add", "-A"]);
    git(helpers, ["commit", "-q", "-m", "prepare"]);
  }
  const ws = makeRepo(join(tmp, "ws"), {
    "README.md": "# ws\n",
    "dt.yaml": `name: ws\nsync:\n  from: helpers_root\n  files:\n${files.map((f) => `    - ${JSON.stringify(f)}\n`).join("")}`,
  });
  addSubmodule(ws, helpers, "helpers_root");
  const outside = join(tmp, "outside");
  mkdirSync(outside);
  return { ws, sub: join(ws, "helpers_root"), outside };
}

/** Commit a change in the sub-repo checkout (upstream moved on). */
function commitUpstream(sub: string, tree: Record<string, string>, message = "upstream change") {
  writeTree(sub, tree);
  git(sub, ["add", "-A"]);
  git(sub, ["commit", "-q", "-m", message]);
}

const read = (p: string) => readFileSync(p, "utf8");
const statuses = (json: any) => Object.fromEntries(json.files.map((f: any) => [f.path, f.status]));

describe("dt sync", () => {
  test("acceptance: an edit here is kept and reported; an upstream change fails --check with a diff; --force brings it in line", async () => {
    const { ws, sub } = setup(["pytest.ini", "conftest.py"]);

    const first = await dt(["sync"], { cwd: ws });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("added  pytest.ini");
    expect(first.stdout).toContain("added  conftest.py");
    expect(read(join(ws, "pytest.ini"))).toBe(UPSTREAM["pytest.ini"]);
    const lock = read(join(ws, ".dt/sync.lock"));
    expect(lock).toMatch(/^# /);
    expect(lock).toContain(`commit: "${git(sub, ["rev-parse", "HEAD"])}"`);
    git(ws, ["add", "-A"]);
    git(ws, ["commit", "-q", "-m", "sync"]);

    // Customised here: kept and reported.
    const mine = "[pytest]\nmarkers =\n    slow: slow tests\naddopts = -x\n";
    writeFileSync(join(ws, "pytest.ini"), mine);
    const kept = await dt(["sync"], { cwd: ws });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain("kept (customised)  pytest.ini");
    expect(kept.stdout).toContain("in sync  conftest.py");
    expect(read(join(ws, "pytest.ini"))).toBe(mine);

    // Upstream changes the same file and commits: --check fails with a diff of here vs upstream.
    commitUpstream(sub, { "pytest.ini": "[pytest]\nmarkers =\n    slow: slow tests\n    superslow: very slow tests\n" });
    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("--- a/pytest.ini\t(here)");
    expect(check.stdout).toMatch(/\+\+\+ b\/pytest\.ini\t\(helpers_root@[0-9a-f]{12}\)/);
    expect(check.stdout).toContain("-addopts = -x");
    expect(check.stdout).toContain("+    superslow: very slow tests");
    expect(check.stdout).not.toContain("conftest.py\t");
    expect(read(join(ws, "pytest.ini"))).toBe(mine);
    expect(read(join(ws, ".dt/sync.lock"))).toBe(lock);

    // --force takes upstream's, after which --check passes.
    const forced = await dt(["sync", "--force"], { cwd: ws });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("updated  pytest.ini");
    expect(read(join(ws, "pytest.ini"))).toBe(read(join(sub, "pytest.ini")));
    const clean = await dt(["sync", "--check"], { cwd: ws });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe("in sync  pytest.ini\nin sync  conftest.py\n");
  });

  test("upstream changed, nothing changed here: updated, and the lock records the new commit", async () => {
    const { ws, sub } = setup(["pytest.ini"]);
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    commitUpstream(sub, { "pytest.ini": "[pytest]\n" });
    const { result, json } = await dtJson(["sync", "--json"], { cwd: ws });
    expect(result.code).toBe(0);
    expect(statuses(json)).toEqual({ "pytest.ini": "updated" });
    expect(json.commit).toBe(git(sub, ["rev-parse", "HEAD"]));
    expect(json.lock).toEqual({ path: ".dt/sync.lock", written: true });
    expect(read(join(ws, "pytest.ini"))).toBe("[pytest]\n");
    expect(read(join(ws, ".dt/sync.lock"))).toContain(json.commit);
  });

  test("conflict: changed here and upstream is reported with a diff, exit 1, nothing overwritten", async () => {
    const { ws, sub } = setup(["pytest.ini", "conftest.py"]);
    await dt(["sync"], { cwd: ws });
    const lock = read(join(ws, ".dt/sync.lock"));
    writeFileSync(join(ws, "pytest.ini"), "[pytest]\nmine = 1\n");
    commitUpstream(sub, { "pytest.ini": "[pytest]\ntheirs = 1\n", "conftest.py": "import pytest  # v2\n" });

    const human = await dt(["sync", "--dry-run"], { cwd: ws });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("conflict  pytest.ini");
    expect(human.stdout).toContain("would be updated  conftest.py");
    expect(read(join(ws, "conftest.py"))).toBe(UPSTREAM["conftest.py"]);

    const { result, json } = await dtJson(["sync", "--json"], { cwd: ws });
    expect(result.code).toBe(1);
    expect(statuses(json)).toEqual({ "pytest.ini": "conflict", "conftest.py": "updated" });
    const conflict = json.files.find((f: any) => f.path === "pytest.ini");
    expect(conflict.diff).toContain("-mine = 1\n+theirs = 1\n");
    expect(conflict.changed).toBe(false);
    expect(read(join(ws, "pytest.ini"))).toBe("[pytest]\nmine = 1\n");
    // The other file is still synced, and the lock keeps pytest.ini's old entry.
    expect(read(join(ws, "conftest.py"))).toBe("import pytest  # v2\n");
    const newLock = read(join(ws, ".dt/sync.lock"));
    const entry = (text: string) => text.slice(text.indexOf("  pytest.ini:"));
    expect(entry(newLock)).toBe(entry(lock));

    const again = await dt(["sync"], { cwd: ws });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("conflict  pytest.ini");
    expect(again.stdout).toContain("-mine = 1");
    expect(again.stderr).toContain("dt sync --force");
  });

  test("the lock is stable: a second sync changes nothing, byte for byte", async () => {
    const { ws } = setup(["pytest.ini", "dev_scripts/lint.sh", "conftest.py"]);
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    git(ws, ["add", "-A"]);
    git(ws, ["commit", "-q", "-m", "sync"]);
    const lock = read(join(ws, ".dt/sync.lock"));
    const mtime = statSync(join(ws, ".dt/sync.lock")).mtimeMs;
    const paths = [...lock.matchAll(/^ {2}(\S+):$/gm)].map((m) => m[1]);
    expect(paths).toEqual(["conftest.py", "dev_scripts/lint.sh", "pytest.ini"]);

    const { result, json } = await dtJson(["sync", "--json"], { cwd: ws });
    expect(result.code).toBe(0);
    expect(Object.values(statuses(json))).toEqual(["in-sync", "in-sync", "in-sync"]);
    expect(json.lock.written).toBe(false);
    expect(read(join(ws, ".dt/sync.lock"))).toBe(lock);
    expect(statSync(join(ws, ".dt/sync.lock")).mtimeMs).toBe(mtime);
    expect(git(ws, ["status", "--porcelain"])).toBe("");
  });

  test("keeps the executable bit of the source, and follows a change of it", async () => {
    const { ws, sub } = setup(["dev_scripts/lint.sh", "pytest.ini"], UPSTREAM, (helpers) => chmodSync(join(helpers, "dev_scripts/lint.sh"), 0o755));
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    expect(statSync(join(ws, "dev_scripts/lint.sh")).mode & 0o111).not.toBe(0);
    expect(statSync(join(ws, "pytest.ini")).mode & 0o111).toBe(0);
    expect(read(join(ws, ".dt/sync.lock"))).toMatch(/dev_scripts\/lint\.sh:\n {4}sha256: "[0-9a-f]{64}"\n {4}executable: true/);

    chmodSync(join(sub, "dev_scripts/lint.sh"), 0o644);
    git(sub, ["commit", "-q", "-am", "not executable"]);
    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("old mode 100755\nnew mode 100644");
    // --check changes nothing: it says what a sync would do, in the singular for one file.
    expect(check.stdout).toContain("would be updated  dev_scripts/lint.sh");
    expect(check.stdout).not.toMatch(/^updated /m);
    expect(check.stderr).toMatch(/1 of 2 synced files differs from helpers_root@[0-9a-f]{12}; 'dt sync' updates it\n/);
    const r = await dt(["sync"], { cwd: ws });
    expect(r.stdout).toContain("updated  dev_scripts/lint.sh");
    expect(statSync(join(ws, "dev_scripts/lint.sh")).mode & 0o111).toBe(0);
  });

  test("a symlink that leads out of the workspace is refused, naming the dt.yaml entry", async () => {
    const { ws, outside } = setup(["pytest.ini", "escape/conftest.py"]);
    symlinkSync(outside, join(ws, "escape"));
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dt\.yaml:\d+:\d+: sync\.files\[1\] "escape\/conftest\.py" resolves through a symlink to .*outside the workspace/);
    expect(existsSync(join(outside, "conftest.py"))).toBe(false);
    expect(existsSync(join(ws, "pytest.ini"))).toBe(false);
    expect(existsSync(join(ws, ".dt/sync.lock"))).toBe(false);

    // The file itself as a symlink out is refused too.
    const second = setup(["pytest.ini"]);
    symlinkSync(join(second.outside, "pytest.ini"), join(second.ws, "pytest.ini"));
    const r2 = await dt(["sync", "--force"], { cwd: second.ws });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('sync.files[0] "pytest.ini" resolves through a symlink');
    expect(existsSync(join(second.outside, "pytest.ini"))).toBe(false);
  });

  test("a source that resolves outside the sub-repo is refused", async () => {
    const { ws, sub, outside } = setup(["conftest.py", "leak.txt"]);
    writeFileSync(join(outside, "secret"), "s\n");
    symlinkSync(join(outside, "secret"), join(sub, "leak.txt"));
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sync.files[1] "leak.txt" in helpers_root resolves through a symlink');
    expect(existsSync(join(ws, "leak.txt"))).toBe(false);
  });

  test("'..' and absolute paths are refused, all at once, each with its dt.yaml line", async () => {
    const { ws, outside } = setup(["pytest.ini", "../outside/evil", "/etc/evil"]);
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dt\.yaml:6:\d+: sync\.files\[1\] "\.\.\/outside\/evil" leaves the workspace/);
    expect(r.stderr).toMatch(/dt\.yaml:7:\d+: sync\.files\[2\] "\/etc\/evil" is absolute/);
    expect(existsSync(join(outside, "evil"))).toBe(false);
    expect(existsSync(join(ws, "pytest.ini"))).toBe(false);
  });

  test("--dry-run changes nothing; a missing source is a usage error", async () => {
    const { ws } = setup(["pytest.ini"]);
    const dry = await dt(["sync", "--dry-run"], { cwd: ws });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would be added  pytest.ini");
    expect(dry.stdout).toContain("+++ b/pytest.ini");
    expect(existsSync(join(ws, "pytest.ini"))).toBe(false);
    expect(existsSync(join(ws, ".dt"))).toBe(false);

    const typo = setup(["pytest.ni"]);
    const r = await dt(["sync"], { cwd: typo.ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sync.files[0] "pytest.ni" does not exist in helpers_root');
  });

  test("deleted upstream: reported and kept; --force deletes it and forgets it", async () => {
    const { ws, sub } = setup(["pytest.ini", "conftest.py"]);
    await dt(["sync"], { cwd: ws });
    git(sub, ["rm", "-q", "conftest.py"]);
    git(sub, ["commit", "-q", "-m", "drop conftest"]);
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deleted upstream  conftest.py");
    expect(existsSync(join(ws, "conftest.py"))).toBe(true);
    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("+++ /dev/null");
    const forced = await dt(["sync", "--force"], { cwd: ws });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("deleted  conftest.py");
    expect(existsSync(join(ws, "conftest.py"))).toBe(false);
    expect(read(join(ws, ".dt/sync.lock"))).not.toContain("conftest.py");
  });

  test("uncommitted changes in the source are synced and noted", async () => {
    const { ws, sub } = setup(["pytest.ini"]);
    writeFileSync(join(sub, "pytest.ini"), "[pytest]\n# work in progress\n");
    const { result, json } = await dtJson(["sync", "--json"], { cwd: ws });
    expect(result.code).toBe(0);
    expect(json.dirty).toEqual(["pytest.ini"]);
    expect(read(join(ws, "pytest.ini"))).toBe("[pytest]\n# work in progress\n");
    expect(read(join(ws, ".dt/sync.lock"))).toContain("dirty: true");
    const human = await dt(["sync", "--check"], { cwd: ws });
    expect(human.code).toBe(0);
    expect(human.stderr).toContain("helpers_root has uncommitted changes to pytest.ini");
    expect(human.stderr).toMatch(/the synced file matches helpers_root@[0-9a-f]{12}\n/);
  });

  test("without sync.files there is nothing to do; a sync.from that is no sub-repo is a usage error", async () => {
    const bare = makeRepo(join(testdir().path, "bare"), { "README.md": "x\n" });
    const r = await dt(["sync", "--check"], { cwd: bare });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("nothing to sync");
    const wrong = makeRepo(join(testdir().path, "wrong"), { "dt.yaml": "sync:\n  from: nope\n  files: [a]\n" });
    const w = await dt(["sync"], { cwd: wrong });
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('sync.from "nope" is not a sub-repo');
  });
});

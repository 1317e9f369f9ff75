// The test-result cache's key on real git repos: what changes it, what must not, and what
// --explain says. e2e: test-cache.test.ts runs the same rules through the binary.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageInfo } from "../../../../src/core/engine/engine.ts";
import { cacheInputs, explainChanges, imageIdentity, type CacheInputs, type KeyRequest } from "../../../../src/core/testing/cache-key.ts";
import { indexWorkspace } from "../../../../src/core/testing/file-index.ts";
import { LABEL } from "../../../../src/core/workspace/image-ref.ts";
import { targetOf } from "../../../../src/core/workspace/target.ts";
import { scanWorkspace } from "../../../../src/core/workspace/workspace.ts";
import { addSubmodule, cleanupAll, git, makeRepo, runnableFiles, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const IMAGE: ImageInfo = { Id: "sha256:1d", Os: "linux", Architecture: "amd64", Created: "", Size: 1, Config: { Labels: { [LABEL.contentDigest]: "sha256:c0" } } };

let tmp = "";
let root = "";
let helpers = "";

beforeAll(() => {
  tmp = testdir().path;
  const upstream = makeRepo(join(tmp, "helpers-up"), { "h.py": "H = 1\n" });
  root = makeRepo(join(tmp, "ws"), {
    "dt.yaml": "name: ck\nsetenv:\n  pythonpath: [pylib]\ndocker:\n  env: [DTCK_*]\n",
    ".gitignore": "*.log\n",
    "conftest.py": "# root conftest\n",
    "pylib/util.py": "U = 1\n",
    "data/fixture.txt": "one\n",
    ...runnableFiles("a", "apps/a"),
    "apps/a/dt.yaml": "test:\n  depends_on: [helpers]\n",
    "apps/a/tests/test_a.py": "def test_a():\n    pass\n",
    ...runnableFiles("nested", "apps/a/nested"),
    "apps/a/nested/x.py": "X = 1\n",
    ...runnableFiles("b", "apps/b"),
    "apps/b/tests/test_b.py": "def test_b():\n    pass\n",
  });
  addSubmodule(root, upstream, "helpers");
  helpers = join(root, "helpers");
});

/** Whether the scan reads each repo's status (as dt test's does): the index then comes from it. */
let withStatus = false;

async function inputs(dir: string, extra: Partial<KeyRequest> = {}, at = root): Promise<CacheInputs> {
  const ws = await scanWorkspace(at, { status: withStatus ? "all" : "none" });
  const index = await indexWorkspace(ws);
  const target = targetOf({ root: ws.root, path: dir, absPath: join(ws.root, dir) });
  return cacheInputs({ ws, target, index, info: IMAGE, stage: "local", suite: "fast", marker: "not slow", timeout: 5, pytestArgs: [], env: {}, ...extra });
}
const key = async (dir: string, extra: Partial<KeyRequest> = {}) => (await inputs(dir, extra)).key;

const pending: (() => void)[] = [];
// A failed expectation must not leave its edits to the next test.
afterEach(() => {
  while (pending.length) pending.pop()!();
});

/** Writes `text` to `rel`; the function returned (also run after the test) puts the old content back. */
function edit(rel: string, text: string): () => void {
  const path = join(root, rel);
  const old = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  let done = false;
  const undo = () => {
    if (done) return;
    done = true;
    if (old === undefined) rmSync(path, { force: true });
    else writeFileSync(path, old);
  };
  pending.push(undo);
  return undo;
}

for (const status of [false, true]) {
describe(status ? "from a scan's status" : "listing each repo", () => {
  beforeAll(() => {
    withStatus = status;
  });

  describe("the key: the dir's own files", () => {
    test("the same tree gives the same key; a file of the dir changes it; reverting restores it", async () => {
      const before = await key("apps/a");
      expect(await key("apps/a")).toBe(before);
      const undo = edit("apps/a/tests/test_a.py", "def test_a():\n    assert 0\n");
      expect(await key("apps/a")).not.toBe(before);
      undo();
      expect(await key("apps/a")).toBe(before);
    });

    test("untracked files count; ignored files, dt's state and Python's caches do not", async () => {
      const before = await key("apps/a");
      const undo = edit("apps/a/tests/test_new.py", "def test_new():\n    pass\n");
      expect(await key("apps/a")).not.toBe(before);
      undo();
      const noise = [edit("apps/a/debug.log", "x\n"), edit(".dt/cache/test/junk.json", "{}"), edit("apps/a/tests/__pycache__/t.cpython-312.pyc", "x")];
      expect(await key("apps/a")).toBe(before);
      for (const u of noise) u();
    });

    test("another runnable dir's files, a nested one's included, are not the dir's", async () => {
      const [a, b] = [await key("apps/a"), await key("apps/b")];
      const undo = [edit("apps/a/nested/x.py", "X = 2\n"), edit("apps/b/tests/test_b.py", "def test_b():\n    assert 0\n")];
      expect(await key("apps/a")).toBe(a);
      expect(await key("apps/b")).not.toBe(b);
      for (const u of undo) u();
    });

    test("an untracked file has the id git gives it once committed", async () => {
      const undo = edit("apps/a/fresh.py", "F = 1\n");
      const ws = await scanWorkspace(root, { status: "none" });
      const index = await indexWorkspace(ws);
      const gitId = git(root, ["hash-object", "apps/a/fresh.py"]);
      expect(index.idOf("apps/a/fresh.py")).toBe(`-${gitId}`);
      expect(index.idOf("apps/a/tests/test_a.py")).toBe(`-${git(root, ["rev-parse", "HEAD:apps/a/tests/test_a.py"])}`);
      undo();
    });

    test("a link counts by the content it resolves to", async () => {
      symlinkSync("../../data/fixture.txt", join(root, "apps/a/fixture.txt"));
      pending.push(() => rmSync(join(root, "apps/a/fixture.txt"), { force: true }));
      const before = await key("apps/a");
      const undo = edit("data/fixture.txt", "two\n");
      expect(await key("apps/a")).not.toBe(before);
      undo();
      expect(await key("apps/a")).toBe(before);
    });
  });

  describe("the key: what the tests see from elsewhere", () => {
    test("setenv.pythonpath dirs and conftest.py above the dir count", async () => {
      const [a, b] = [await key("apps/a"), await key("apps/b")];
      let undo = edit("pylib/util.py", "U = 2\n");
      expect(await key("apps/a")).not.toBe(a);
      expect(await key("apps/b")).not.toBe(b);
      undo();
      undo = edit("conftest.py", "# changed\n");
      expect(await key("apps/b")).not.toBe(b);
      undo();
      expect(await key("apps/b")).toBe(b);
    });

    test("a scope inside another is left out of the key; its files still count", async () => {
      edit("apps/b/dt.yaml", "setenv:\n  pythonpath: [pylib, '.']\n");
      const { inputs: names, key: before } = await inputs("apps/b");
      expect(Object.keys(names).filter((n) => n.startsWith("scope ")).sort()).toEqual(["scope .", "scope apps/b"]);
      edit("pylib/util.py", "U = 3\n");
      expect(await key("apps/b")).not.toBe(before);
    });

    test("a sub-repo commit under test.depends_on moves only the dirs that depend on it", async () => {
      const [a, b] = [await key("apps/a"), await key("apps/b")];
      const head = git(helpers, ["rev-parse", "HEAD"]);
      pending.push(() => git(helpers, ["checkout", "-q", head]));
      writeFileSync(join(helpers, "h.py"), "H = 2\n");
      git(helpers, ["commit", "-qam", "move"]);
      expect(await key("apps/a")).not.toBe(a);
      expect(await key("apps/b")).toBe(b);
      git(helpers, ["checkout", "-q", head]);
      expect(await key("apps/a")).toBe(a);
    });

    test("another checkout of the same commit, at another path, has the same keys", async () => {
      const clone = join(tmp, `second-clone-${withStatus}`);
      git(tmp, ["clone", "-q", "--recurse-submodules", root, clone]);
      const there = await inputs("apps/a", {}, clone);
      const here = await inputs("apps/a");
      expect(there.inputs).toEqual(here.inputs);
      expect(there.key).toBe(here.key);
    });
  });

  describe("the key: the run's settings and the image", () => {
    test("suite, marker, timeout, pytest args, shard and docker.env values each change it; env values are not kept in clear", async () => {
      const base = await inputs("apps/a", { env: { DTCK_TOKEN: "s3cret", OTHER: "x" } });
      const variants: Partial<KeyRequest>[] = [
        { suite: "slow" },
        { marker: "slow" },
        { timeout: 30 },
        { pytestArgs: ["-k", "x"] },
        { shard: { index: 1, total: 2 }, shardFiles: [join(root, "apps/a/tests/test_a.py")] },
        { env: { DTCK_TOKEN: "other", OTHER: "x" } },
      ];
      for (const v of variants) expect((await inputs("apps/a", { env: { DTCK_TOKEN: "s3cret", OTHER: "x" }, ...v })).key).not.toBe(base.key);
      // A variable docker.env does not pass is no input.
      expect((await inputs("apps/a", { env: { DTCK_TOKEN: "s3cret", OTHER: "y" } })).key).toBe(base.key);
      expect(JSON.stringify(base.inputs)).not.toContain("s3cret");
      expect(Object.keys(base.inputs)).toContain("env DTCK_TOKEN");
    });

    test("the image: its content digest, else (local) its context digest, else its id", async () => {
      const labels = (l: Record<string, string>): ImageInfo => ({ ...IMAGE, Config: { Labels: l } });
      expect(imageIdentity(labels({ [LABEL.contentDigest]: "sha256:c1", [LABEL.contextDigest]: "sha256:x" }), "local")).toBe("content sha256:c1");
      expect(imageIdentity(labels({ [LABEL.contextDigest]: "sha256:x" }), "local")).toBe("context sha256:x");
      expect(imageIdentity(labels({ [LABEL.contextDigest]: "sha256:x" }), "dev")).toBe("id sha256:1d");
      const other = await inputs("apps/a", { info: labels({ [LABEL.contentDigest]: "sha256:c2" }) });
      expect(other.key).not.toBe(await key("apps/a"));
    });
  });

  describe("explainChanges", () => {
    test("names the changed, added and removed files, a moved sub-repo, the image and settings", async () => {
      const ws = await scanWorkspace(root, { status: "none" });
      const before = await inputs("apps/a");
      const files = new Map<string, [string, string][]>();
      const beforeIndex = await indexWorkspace(ws);
      for (const [name, scope] of Object.entries(before.scopes)) files.set(before.inputs[name]!, beforeIndex.entries(scope));

      edit("apps/a/tests/test_a.py", "def test_a():\n    assert 0\n");
      edit("apps/a/tests/test_added.py", "\n");
      rmSync(join(root, "pylib/util.py"));
      pending.push(() => writeFileSync(join(root, "pylib/util.py"), "U = 1\n"));
      const head = git(helpers, ["rev-parse", "HEAD"]);
      pending.push(() => git(helpers, ["checkout", "-q", head]));
      writeFileSync(join(helpers, "h.py"), "H = 3\n");
      git(helpers, ["commit", "-qam", "explain"]);
      const now = await inputs("apps/a", { suite: "slow", info: { ...IMAGE, Config: { Labels: { [LABEL.contentDigest]: "sha256:c9" } } } });
      const nowIndex = await indexWorkspace(await scanWorkspace(root, { status: "none" }));
      const lines = explainChanges({ key: before.key, at: "", inputs: before.inputs }, now, (d) => files.get(d), (s) => nowIndex.entries(s));
      expect(lines).toContain("apps/a/tests/test_a.py changed");
      expect(lines).toContain("apps/a/tests/test_added.py added");
      expect(lines).toContain("pylib/util.py removed");
      expect(lines.find((l) => l.startsWith("sub-repo helpers moved "))).toMatch(/^sub-repo helpers moved [0-9a-f]{8}\.\.[0-9a-f]{8}$/);
      expect(lines).toContain("suite: fast -> slow");
      expect(lines.find((l) => l.startsWith("the image changed"))).toContain("sha256:c9");
      // A list that was not kept is said to be so, not guessed.
      expect(explainChanges({ key: before.key, at: "", inputs: before.inputs }, now, () => undefined, (s) => nowIndex.entries(s))).toContain(
        "files under apps/a changed (the earlier list is no longer kept)",
      );
      expect(explainChanges(undefined, now, () => undefined, () => [])[0]).toContain("no earlier cached run");
    });
  });
});
}

describe("the two ways to list the files", () => {
  test("agree on a workspace with modified, staged, deleted, renamed, untracked and linked files", async () => {
    edit("apps/a/tests/test_a.py", "def test_a():\n    assert 2\n");
    edit("apps/a/untracked.py", "N = 1\n");
    edit("helpers/untracked_in_sub.py", "S = 1\n");
    edit("pylib/staged.py", "S = 2\n");
    git(root, ["add", "pylib/staged.py"]);
    pending.push(() => git(root, ["rm", "-q", "--cached", "--force", "pylib/staged.py"]));
    git(root, ["mv", "data/fixture.txt", "data/moved.txt"]);
    pending.push(() => git(root, ["mv", "data/moved.txt", "data/fixture.txt"]));
    rmSync(join(root, "conftest.py"));
    pending.push(() => git(root, ["checkout", "--", "conftest.py"]));
    symlinkSync("../../pylib/util.py", join(root, "apps/a/util_link.py"));
    pending.push(() => rmSync(join(root, "apps/a/util_link.py"), { force: true }));
    const listed = await indexWorkspace(await scanWorkspace(root, { status: "none" }));
    const scanned = await scanWorkspace(root, { status: "all" });
    expect(scanned.changedFiles).toEqual(expect.arrayContaining(["apps/a/tests/test_a.py", "apps/a/untracked.py", "helpers/untracked_in_sub.py", "conftest.py"]));
    const fromStatus = await indexWorkspace(scanned);
    for (const scope of [{ path: ".", exclude: [] }, { path: "apps/a", exclude: ["apps/a/nested"] }]) {
      expect(fromStatus.entries(scope)).toEqual(listed.entries(scope));
    }
    const paths = fromStatus.entries({ path: ".", exclude: [] }).map(([p]) => p);
    expect(paths).toEqual(expect.arrayContaining(["apps/a/untracked.py", "helpers/untracked_in_sub.py", "data/moved.txt", "helpers", "apps/a/util_link.py"]));
    expect(paths).not.toContain("conftest.py");
    expect(paths).not.toContain("data/fixture.txt");
  });
});

// A `.gitmodules` whose sub-repo is the repository itself (`path = .`), or a sub-repo dir that
// is a link back to a repo already in the workspace. dt walks sub-repos recursively through the
// initialised ones, and such an entry made `ls`, `setenv`, `test`, `sync` and `subrepo ls` die
// with "Maximum call stack size exceeded", or list 40 phantom sub-repos (until the kernel's
// symlink limit). Now each is exit 2 naming the entry at its `.gitmodules:LINE`.
import { afterAll, describe, expect, test } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { changelog } from "./helpers.ts";

afterAll(() => cleanupAll());

const COMMANDS: string[][] = [["ls"], ["setenv"], ["test"], ["sync", "--check"], ["subrepo", "ls"]];

function workspace(name: string, gitmodules: string): string {
  return makeRepo(join(testdir().path, name), {
    "changelog.txt": changelog(name),
    "devops/.keep": "",
    "dt.yaml": "sync:\n  from: helpers\n  files: [pytest.ini]\n",
    ".gitmodules": gitmodules,
  });
}

/** Every command ends quickly with exit 2 and `message` at `where`; nothing phantom, no stack overflow. */
async function expectRefused(root: string, where: string, message: RegExp) {
  for (const args of COMMANDS) {
    const r = await dt(args, { cwd: root, timeoutMs: 10_000 });
    const said = r.stdout + r.stderr;
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toContain(`error: ${where}: `);
    expect(r.stderr).toMatch(message);
    expect(said).not.toContain("Maximum call stack");
    expect(said).not.toContain("internal error");
  }
}

describe(".gitmodules entries that lead back into the workspace", () => {
  test(
    "`path = .`: the repository as its own sub-repo",
    async () => {
      const root = workspace("self", '[submodule "me"]\n\turl = https://example.com/me.git\n\tpath = .\n');
      await expectRefused(root, ".gitmodules:3", /submodule "me" has the path "\.": the repository itself/);
    },
    25_000,
  );

  test(
    "`path = ./` and `path = a/..` are the same repository",
    async () => {
      const dotSlash = workspace("dotslash", '[submodule "me"]\n\tpath = ./\n\turl = x\n');
      const r = await dt(["ls"], { cwd: dotSlash, timeoutMs: 10_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('.gitmodules:2: submodule "me" has the path "./": the repository itself');
      // `..` anywhere is refused as outside the repository, as before.
      const up = workspace("up", '[submodule "me"]\n\tpath = a/..\n');
      const u = await dt(["ls"], { cwd: up, timeoutMs: 10_000 });
      expect(u.code).toBe(2);
      expect(u.stderr).toContain(".gitmodules:2: ");
    },
    15_000,
  );

  test(
    "a sub-repo dir that is a link to the root (it used to list 40 phantom sub-repos)",
    async () => {
      const root = workspace("link", '[submodule "loop"]\n\tpath = loop\n\turl = https://example.com/loop.git\n');
      symlinkSync(".", join(root, "loop"));
      await expectRefused(root, ".gitmodules:2", /submodule "loop" at loop is the workspace root again \(.+\)/);
    },
    25_000,
  );

  test(
    "a nested sub-repo whose own .gitmodules has a dir linking back to its parent",
    async () => {
      const upstream = makeRepo(join(testdir().path, "helpers"), { "pytest.ini": "[pytest]\n" });
      const root = workspace("nested", "");
      git(root, ["rm", "-q", ".gitmodules"]);
      git(root, ["commit", "-q", "-m", "no modules"]);
      addSubmodule(root, upstream, "helpers");
      const sub = join(root, "helpers");
      writeFileSync(join(sub, ".gitmodules"), '[submodule "back"]\n\tpath = back\n\turl = x\n');
      symlinkSync("..", join(sub, "back"));
      await expectRefused(root, "helpers/.gitmodules:2", /submodule "back" at helpers\/back is the workspace root again/);
    },
    25_000,
  );
});

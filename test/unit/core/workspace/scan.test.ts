// scanWorkspace on real git repos with sub-repos, the tracked changelogs read from the index
// files: each sub-repo's own changes make it dirty, a moved commit does not, an untracked
// runnable dir inside a sub-repo is found, an ignored one is not.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanWorkspace } from "../../../../src/core/workspace/workspace.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const runnable = (name: string) => ({ [`${name}/changelog.txt`]: `# ${name}-0.1.0\n- 2026-11-20\n- x\n`, [`${name}/devops/.keep`]: "" });

function workspace() {
  const base = testdir().path;
  const libs = ["liba", "libb", "libc", "libd"].map((n) => makeRepo(join(base, "up", n), { "README.md": `${n}\n`, ...runnable(`${n}-svc`) }));
  const root = makeRepo(join(base, "ws"), { "README.md": "ws\n", ...runnable("app") });
  for (const lib of libs) addSubmodule(root, lib, lib.split("/").at(-1)!);
  git(root, ["-c", "protocol.file.allow=always", "submodule", "update", "--init"]);
  return root;
}

describe("scanWorkspace", () => {
  test("clean, tracked change, untracked file, moved commit: dirty as each sub-repo's own changes say", async () => {
    const root = workspace();
    appendFileSync(join(root, "libb/README.md"), "changed\n");
    // Only an untracked runnable dir: dirty, and the dir is found.
    mkdirSync(join(root, "libc/fresh/devops"), { recursive: true });
    writeFileSync(join(root, "libc/fresh/changelog.txt"), "# fresh-0.1.0\n- 2026-11-20\n- x\n");
    writeFileSync(join(root, "libc/fresh/devops/.keep"), "");
    // A new commit in the sub-repo: the root sees another commit, the sub-repo itself is clean.
    writeFileSync(join(root, "libd/NEW.md"), "new\n");
    git(join(root, "libd"), ["add", "NEW.md"]);
    git(join(root, "libd"), ["commit", "-q", "-m", "new"]);
    const ws = await scanWorkspace(root);
    expect(Object.fromEntries(ws.subRepos.map((s) => [s.path, s.dirty]))).toEqual({ liba: false, libb: true, libc: true, libd: false });
    expect(ws.runnableDirs.map((d) => d.path)).toEqual(["app", "liba/liba-svc", "libb/libb-svc", "libc/fresh", "libc/libc-svc", "libd/libd-svc"]);
    expect(ws.runnableDirs.find((d) => d.path === "libc/fresh")?.repo).toBe("libc");
  }, 30_000);

  test("an untracked runnable dir in the root, and an ignored one that is not found", async () => {
    const root = workspace();
    writeFileSync(join(root, ".gitignore"), "ignored/\n");
    for (const d of ["new/svc", "ignored/svc"]) {
      mkdirSync(join(root, d, "devops"), { recursive: true });
      writeFileSync(join(root, d, "changelog.txt"), "# svc-0.1.0\n- 2026-11-20\n- x\n");
    }
    const ws = await scanWorkspace(root);
    expect(ws.runnableDirs.map((d) => d.path)).toContain("new/svc");
    expect(ws.runnableDirs.map((d) => d.path)).not.toContain("ignored/svc");
    expect(ws.subRepos.every((s) => s.dirty === false)).toBe(true);
  }, 30_000);
});

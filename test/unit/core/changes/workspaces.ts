// What the --changed tests share: the workspaces they start from, built once per test file, and
// short ways to run changedRunnableDirs and commit.
import { afterAll, beforeAll, expect } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { changedRunnableDirs, type ChangeSet } from "../../../../src/core/changes/changed-dirs.ts";
import { DtError } from "../../../../src/core/base/errors.ts";
import { scanWorkspace } from "../../../../src/core/workspace/workspace.ts";
import { cleanupAll, git, gitEnv, makeWorkspace, testdir, writeTree, type Workspace } from "../../../support/fixtures.ts";

/** The workspaces tests start from: 3 levels of sub-repos (see the fixtures), or none. */
type Template = "full" | "flat";

/**
 * Registers the file's hooks and returns a function that gives a test its own copy of a
 * template. A workspace with 3 levels of sub-repos costs ~25 git commands, so each template a
 * file asks for is built once, in beforeAll. Git links a sub-repo to its git dir by relative
 * paths, so a copied tree is a working workspace; its .gitmodules URLs still name the
 * template's upstreams, which no test fetches from.
 */
export function workspaces(wanted: readonly Template[]): (template: Template) => Workspace {
  // dt's own git calls inherit process.env: give them the fixtures' isolated config, so a
  // developer's ~/.gitconfig cannot change what they see. Restored afterwards.
  const savedEnv = { ...process.env };
  const built = new Map<Template, Workspace>();
  beforeAll(() => {
    Object.assign(process.env, gitEnv({}));
    if (wanted.includes("full")) built.set("full", makeWorkspace());
    if (wanted.includes("flat")) built.set("flat", makeWorkspace({ depth: 0, uninitialized: false }));
  }, 60_000);
  // 60 s: removing a few dozen workspaces can outlast bun's 5 s hook default on a busy machine.
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    cleanupAll();
  }, 60_000);
  return (template) => {
    const source = built.get(template);
    if (!source) throw new Error(`workspaces([...]) of this file does not build "${template}"`);
    return copyOf(source);
  };
}

function copyOf(template: Workspace): Workspace {
  const tmp = testdir();
  cpSync(template.path, tmp.path, { recursive: true, verbatimSymlinks: true });
  const moved = (p: string) => tmp.path + p.slice(template.path.length);
  return {
    ...tmp,
    root: moved(template.root),
    upstreams: moved(template.upstreams),
    runnables: template.runnables.map((r) => ({ ...r, path: moved(r.path) })),
    subRepos: template.subRepos.map((r) => ({ ...r, path: moved(r.path) })),
    uninitialized: template.uninitialized && { ...template.uninitialized, path: moved(template.uninitialized.path) },
  };
}

export const SHARED = "libs/shared";
export const CORE = "libs/shared/vendor/core";
export const LEVEL3 = "libs/shared/vendor/core/vendor/level3";

export async function changed(w: Workspace, base?: string): Promise<ChangeSet> {
  return changedRunnableDirs(await scanWorkspace(w.root), base === undefined ? {} : { base });
}
export const paths = (c: ChangeSet) => c.dirs.map((d) => d.path);
export const reasonsOf = (c: ChangeSet, dir: string) => c.dirs.find((d) => d.path === dir)?.reasons ?? [];

/** Write files into the workspace (relative paths) and commit them in the repo at `repo`. */
export function commit(w: Workspace, repo: string, files: Record<string, string>, message = "change"): string {
  const cwd = repo === "." ? w.root : join(w.root, repo);
  writeTree(cwd, files);
  git(cwd, ["add", "-A"]);
  git(cwd, ["commit", "-q", "-m", message]);
  return git(cwd, ["rev-parse", "HEAD"]);
}

/** Record the sub-repo's current HEAD as the pointer in its parent and commit there. */
export function commitPointer(w: Workspace, parent: string, sub: string): void {
  const cwd = parent === "." ? w.root : join(w.root, parent);
  git(cwd, ["add", sub]);
  git(cwd, ["commit", "-q", "-m", `move ${sub}`]);
}

export async function expectUsageError(p: Promise<unknown>, pattern: RegExp): Promise<DtError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DtError);
  expect((e as DtError).exitCode).toBe(2);
  expect((e as DtError).message).toMatch(pattern);
  expect((e as DtError).hint).toBeTruthy();
  return e as DtError;
}

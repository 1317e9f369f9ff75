import { join } from "node:path";
import { workError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { gitRaw, stderrTail } from "../git/git.ts";
import { parseGitmodules } from "../git/gitmodules.ts";
import { findSubRepos, findWorkspaceRoot, readHead } from "../workspace/workspace.ts";
import { fileFlags } from "./file-transport.ts";
import { absOf } from "./paths.ts";

/** `git submodule update --init` in `repo`, then in each of its sub-repos (outermost first). */
export async function updateTree(root: string, repo: string): Promise<void> {
  const repoAbs = absOf(root, repo);
  const text = readText(join(repoAbs, ".gitmodules"));
  if (text === undefined) return;
  const decls = parseGitmodules(text, repo === "." ? ".gitmodules" : `${repo}/.gitmodules`);
  if (decls.length === 0) return;
  const flags = await fileFlags(repoAbs, decls.map((d) => d.url));
  const r = await gitRaw([...flags, "submodule", "update", "--init"], repoAbs);
  if (r.code !== 0) {
    throw workError(`git submodule update failed in ${repo === "." ? "the workspace root" : repo}: ${stderrTail(r.stderr)}`, {
      hint: "a sub-repo with local changes cannot be moved: commit or stash them ('dt subrepo ls' shows which are dirty); then run 'dt subrepo update' again",
    });
  }
  await Promise.all(
    decls.map((d) => {
      const path = repo === "." ? d.path : `${repo}/${d.path}`;
      return readHead(absOf(root, path)) ? updateTree(root, path) : undefined;
    }),
  );
}

interface UpdateChange {
  path: string;
  kind: "initialised" | "moved";
  old: string | null;
  new: string | null;
  /** The branch it was on before; `git submodule update` leaves a moved sub-repo detached. */
  oldBranch: string | null;
}

interface UpdateResult {
  root: string;
  changes: UpdateChange[];
  unchanged: string[];
  /** Declared but still not checked out (not in the index, or `update = none`). */
  uninitialised: string[];
}

/** Checks out the recorded commit of every sub-repo, initialising the missing ones. */
export async function updateSubRepos(cwd: string): Promise<UpdateResult> {
  const root = findWorkspaceRoot(cwd);
  const before = new Map(findSubRepos(root).map((s) => [s.path, s]));
  await updateTree(root, ".");
  const result: UpdateResult = { root, changes: [], unchanged: [], uninitialised: [] };
  for (const s of findSubRepos(root)) {
    const was = before.get(s.path);
    if (!s.initialised) result.uninitialised.push(s.path);
    else if (!was?.initialised) result.changes.push({ path: s.path, kind: "initialised", old: null, new: s.commit, oldBranch: null });
    else if (was.commit !== s.commit) result.changes.push({ path: s.path, kind: "moved", old: was.commit, new: s.commit, oldBranch: was.branch });
    else result.unchanged.push(s.path);
  }
  return result;
}

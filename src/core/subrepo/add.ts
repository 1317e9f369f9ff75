import { isAbsolute, resolve } from "node:path";
import { usageError, workError } from "../base/errors.ts";
import { isDir } from "../base/fs-util.ts";
import { hasSecretParts, publicUrl } from "../base/url.ts";
import { gitRaw, stderrTail } from "../git/git.ts";
import { isBranchName } from "../git/ref-name.ts";
import { findSubRepos, findWorkspaceRoot, owningRepo, readHead, relPath } from "../workspace/workspace.ts";
import { fileFlags, isRelativeUrl } from "./file-transport.ts";
import { absOf, inRepo, realResolve } from "./paths.ts";
import { updateTree } from "./update.ts";

interface AddResult {
  root: string;
  /** The repo the sub-repo was added to ("." for the root). */
  repo: string;
  path: string;
  url: string;
  branch: string | null;
  commit: string | null;
  /** Its own sub-repos, initialised with it. */
  nested: string[];
}

/** `git submodule add` in the repo that contains `path`, then its nested sub-repos. No commit. */
export async function addSubRepo(o: { cwd: string; url: string; path: string; branch?: string }): Promise<AddResult> {
  const root = findWorkspaceRoot(o.cwd);
  const path = relPath(root, realResolve(o.cwd, o.path)).replace(/\/+$/, "");
  if (path === "." || path.startsWith("../") || isAbsolute(path)) {
    throw usageError(`${o.path} is not inside the workspace ${root}`, { hint: "give a path inside the workspace, e.g. 'dt subrepo add URL helpers_root'" });
  }
  const subs = findSubRepos(root);
  if (subs.some((s) => s.path === path)) {
    throw usageError(`${path} is already a sub-repo`, { hint: "'dt subrepo update' checks it out; 'dt subrepo ls' lists the sub-repos" });
  }
  const repo = owningRepo(path, subs);
  if (subs.find((s) => s.path === repo)?.initialised === false) {
    throw usageError(`${path} is inside the sub-repo ${repo}, which is not initialised`, { hint: "run 'dt subrepo update' first" });
  }
  if (o.branch !== undefined && !isBranchName(o.branch)) {
    throw usageError(`--branch ${JSON.stringify(o.branch)} is not a valid branch name`, { hint: "give the branch to track, e.g. --branch main" });
  }
  if (hasSecretParts(o.url)) {
    throw usageError(`the URL ${publicUrl(o.url)} carries a password or a query string, which git would commit in .gitmodules`, {
      hint: `add ${publicUrl(o.url)} and give git the credentials another way (a credential helper, e.g. 'git config --global credential.helper store', or an SSH URL)`,
    });
  }
  // A bare relative path that exists is meant from here; git would reject it. `./` and `../`
  // keep git's meaning: relative to the repo's origin URL (or the repo itself without one).
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(o.url) && !/^[^/]*:/.test(o.url) && !isRelativeUrl(o.url);
  const url = local && !isAbsolute(o.url) && isDir(resolve(o.cwd, o.url)) ? resolve(o.cwd, o.url) : o.url;
  const repoAbs = absOf(root, repo);
  const flags = await fileFlags(repoAbs, [url]);
  const branch = o.branch ? ["-b", o.branch] : [];
  const r = await gitRaw([...flags, "submodule", "add", "--quiet", ...branch, "--", url, inRepo(repo, path)], repoAbs);
  if (r.code !== 0) {
    throw workError(`git submodule add failed: ${stderrTail(r.stderr)}`, { hint: `check that ${publicUrl(url)} is a git repository you can clone${o.branch ? ` and that it has a branch ${o.branch}` : ""}` });
  }
  await updateTree(root, path);
  const nested = findSubRepos(root).filter((s) => s.path.startsWith(`${path}/`));
  return { root, repo, path, url: publicUrl(url), branch: o.branch ?? null, commit: readHead(absOf(root, path))?.commit ?? null, nested: nested.map((s) => s.path) };
}

// Paths of `dt subrepo`: relative to the workspace root, `/`-separated; "." is the root.
import { realpathSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { isDir } from "../base/fs-util.ts";

export const absOf = (root: string, rel: string) => (rel === "." ? root : join(root, rel));

/** `path` relative to the repo at `repo` (both workspace-relative). */
export const inRepo = (repo: string, path: string) => (repo === "." ? path : path.slice(repo.length + 1));

/** A workspace path as the user at `cwd` types it, for `git -C` in hints. */
export const fromCwd = (root: string, cwd: string, path: string) => relative(cwd, absOf(root, path)) || ".";

/** `p` resolved against `cwd` through symlinks, also when its last parts do not exist yet. */
export function realResolve(cwd: string, p: string): string {
  const full = resolve(cwd, p);
  let dir = full;
  while (!isDir(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    return join(realpathSync(dir), full.slice(dir.length));
  } catch {
    return full;
  }
}

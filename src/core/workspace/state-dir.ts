// `.dt/` holds what dt writes in a workspace: reports, pytest's cache, locks, the sync lock.
// It must be a real directory of the workspace. A `.dt` (or a dir below it) that is a symlink
// would make dt write wherever the link points, another user's files or a system path
// included, so it is refused, whether it points in or out.
import { existsSync, lstatSync, mkdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { usageError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/fs-util.ts";

function refuseLink(root: string, dir: string): never {
  let to = "?";
  try {
    to = readlinkSync(dir);
  } catch {
    // Gone meanwhile: the message still names it.
  }
  throw usageError(`${dir} is a symlink (to ${to}); dt writes its state under ${join(root, ".dt")} only as a real directory`, {
    hint: `remove the link (rm ${dir}); dt makes the directory again`,
  });
}

/** Checks `ROOT/.dt/PARTS...` as far as it exists: each part a real directory, no link. */
export function checkStateDir(root: string, ...parts: string[]): void {
  let dir = root;
  for (const part of [".dt", ...parts]) {
    dir = join(dir, part);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) refuseLink(root, dir);
    if (!st.isDirectory()) throw usageError(`${dir} is not a directory`, { hint: `remove it (rm ${dir}); dt makes the directory again` });
  }
}

/** `ROOT/.dt/PARTS...`, made where missing, one part at a time so that no link is followed. */
export function stateDir(root: string, ...parts: string[]): string {
  checkStateDir(root, ...parts);
  let dir = root;
  for (const part of [".dt", ...parts]) {
    dir = join(dir, part);
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  // Again, now that every part exists: one made by someone else meanwhile is checked too.
  checkStateDir(root, ...parts);
  keepOutOfGit(join(root, ".dt"));
  return dir;
}

/**
 * dt's state is not the repo's content: reports, caches, locks and package records stay out of
 * `git status` (a sub-repo must not look dirty, `dt test --changed` must not see them), except
 * `sync.lock`, which is committed. The user's own `.dt/.gitignore` is left as it is.
 */
function keepOutOfGit(dotDt: string): void {
  const file = join(dotDt, ".gitignore");
  if (existsSync(file)) return;
  writeFileAtomic(file, "# dt's state (reports, caches, locks): not for git, but for the sync lock.\n*\n!sync.lock\n");
}

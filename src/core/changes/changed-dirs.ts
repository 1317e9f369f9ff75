// `--changed`: which runnable dirs are affected by the changes since a base commit.
//
// What counts as changed, per repo of the workspace (root first, then each sub-repo):
//   committed   `git diff BASE HEAD`        (skipped when BASE is HEAD)
//   uncommitted `git status --porcelain=v2` (staged + unstaged vs HEAD, and untracked files)
// The union is "changed since BASE, including the working tree". A sub-repo's BASE is the
// pointer (gitlink) its parent had at the parent's BASE, so a moved pointer counts as the files
// that changed between the two commits, at any depth. That is 1 git call per repo whose pointer
// did not move and 2 per repo whose pointer moved, plus 2 in the root to find BASE
// (for-each-ref for the default branch, merge-base; only the latter with --base), and one
// `git ls-files -s` for the workspace's symlinks when anything changed: a dir whose file links
// to a changed file (the older toolchain's shared devops) is affected too.
import { DtError, ExitCode } from "../base/errors.ts";
import { readHead, type Workspace } from "../workspace/workspace.ts";
import { affectedDirs, type ChangedDir } from "./affected-dirs.ts";
import { resolveBase } from "./base-commit.ts";
import { followRepo, type Collected } from "./follow-sub-repos.ts";
import { workspaceLinks } from "./links.ts";
import { byPath } from "./paths.ts";
import { merge, rangeDiff, status } from "./repo-changes.ts";

export interface ChangeSet {
  /** The commit compared with (the merge-base); "" when the repo has no commit yet. */
  base: string;
  /** What the base was derived from: the --base REF as given, or the default branch used. */
  baseRef: string;
  /**
   * Changed paths relative to the workspace root, sorted. A sub-repo that counts as changed as
   * a whole (added, not checked out, or its old commit is not available) appears as its path.
   */
  files: string[];
  /** Selected runnable dirs, sorted by path ("." first). */
  dirs: ChangedDir[];
}

/**
 * The runnable dirs affected by committed and uncommitted changes since `options.base` (default:
 * the merge-base of HEAD with the default branch, see `resolveBase`), following sub-repos and
 * each dir's `test.depends_on`.
 */
export async function changedRunnableDirs(ws: Workspace, options: { base?: string } = {}): Promise<ChangeSet> {
  const root = ws.root;
  // The root's uncommitted changes do not depend on the base: start them while it is resolved.
  const rootStatus = status(root);
  // If the base turns out bad, its error is the one to report; keep this one from going unhandled.
  rootStatus.catch(() => undefined);
  const { base, baseRef } = await resolveBase(root, options.base);

  const collected: Collected = { files: new Set(), wholes: new Map(), moves: new Map() };
  const headCommit = readHead(root)?.commit ?? null;
  const committed = base && base !== headCommit ? await rangeDiff(root, base) : undefined;
  if (committed && !committed.ok) {
    throw new DtError(ExitCode.failed, `git diff ${base} HEAD failed in ${root}: ${committed.error}`);
  }
  const rootChanges = merge(await rootStatus, committed?.changes);
  await followRepo(ws, ".", rootChanges, collected);

  const files = [...collected.files].filter((f) => !isToolOutput(f)).sort(byPath);
  // Links matter only when something changed; the listing is one git call for the workspace.
  const links = files.length > 0 ? await workspaceLinks(root) : [];
  return { base, baseRef, files, dirs: affectedDirs(ws, files, collected, links) };
}

/**
 * What tools write while they run (dt's reports and caches, Python's bytecode, pytest's cache)
 * is not a change to the code, gitignored or not; `.dt/sync.lock` is real content.
 */
function isToolOutput(path: string): boolean {
  const segments = path.split("/");
  if (segments.includes("__pycache__") || segments.includes(".pytest_cache")) return true;
  const dt = segments.indexOf(".dt");
  return dt >= 0 && segments.slice(dt + 1).join("/") !== "sync.lock";
}

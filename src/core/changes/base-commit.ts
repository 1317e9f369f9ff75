import { DtError, ExitCode, usageError } from "../base/errors.ts";
import { defaultBranch } from "../git/default-branch.ts";
import { gitRaw } from "../git/git.ts";
import { readHead } from "../workspace/workspace.ts";

/**
 * The commit to compare with: the merge-base of HEAD and `explicit`, or of HEAD and the default
 * branch. Using the merge-base for an explicit ref too means commits made on that ref after this
 * branch forked do not count as changes here (as in `git diff REF...`).
 *
 * The default branch is git/default-branch.ts's, compared as `origin/<it>` when it was found on
 * origin, and also when HEAD is on the local branch of that name and `origin/<it>` exists, so
 * commits not pushed yet count (the merge-base with itself would be HEAD). When HEAD is the
 * default branch and there is no upstream, the base is HEAD itself: only uncommitted changes
 * count. defaultBranch's last resort, the checked-out branch, is not taken: it would compare a
 * branch with itself, a silent "nothing changed" that skips every test in CI; a usage error
 * asks for --base instead.
 */
export async function resolveBase(root: string, explicit?: string): Promise<{ base: string; baseRef: string }> {
  const head = readHead(root);
  if (head && head.commit === null) {
    // No commit yet: everything in the index and working tree is new, which `git status` alone
    // reports; there is nothing to take a merge-base with.
    if (explicit !== undefined) {
      throw usageError(`--base ${explicit}: this repository has no commit yet`, {
        hint: "commit first, or drop --base",
      });
    }
    return { base: "", baseRef: "HEAD" };
  }
  if (explicit !== undefined) {
    // A ref starting with "-" would reach git as an option.
    if (explicit === "" || explicit.startsWith("-")) {
      throw usageError(`--base '${explicit}' is not a git ref`, {
        hint: "give a branch, tag or commit, e.g. --base origin/main",
      });
    }
    return { base: await mergeBase(root, explicit, true), baseRef: explicit };
  }
  const baseRef = await defaultBase(root, head?.branch ?? null);
  return { base: await mergeBase(root, baseRef, false), baseRef };
}

async function defaultBase(root: string, headBranch: string | null): Promise<string> {
  const found = await defaultBranch(root, headBranch);
  if (!found || found.from === "current") {
    throw usageError("--changed: cannot tell the default branch (no origin/HEAD, no main or master here or on origin, and not one branch on origin)", {
      hint: "name the base: --base REF (e.g. --base origin/develop), or run 'git remote set-head origin --auto'",
    });
  }
  const useOrigin = found.from !== "local" || (headBranch === found.name && found.onOrigin);
  return useOrigin ? `origin/${found.name}` : found.name;
}

async function mergeBase(root: string, ref: string, explicit: boolean): Promise<string> {
  const result = await gitRaw(["merge-base", "HEAD", ref], root);
  const sha = result.stdout.trim();
  if (result.code === 0 && sha) return sha;
  const what = explicit ? `--base ${ref}` : `the default branch ${ref}`;
  if (result.code === 1) {
    // No common ancestor: unrelated histories, or a shallow clone cut off before the fork.
    throw usageError(`${what} and HEAD have no common history`, {
      hint:
        "fetch the full history ('git fetch --unshallow'; in CI: actions/checkout with fetch-depth: 0), " +
        "or pass another --base",
    });
  }
  const said = result.stderr.trim().split("\n").slice(-1)[0] ?? "";
  if (/not a valid object name|unknown revision|bad revision|not a valid commit/i.test(said)) {
    throw usageError(`${what} is not a commit in this repository`, {
      hint: "give a branch, tag or commit (for a remote branch, 'git fetch origin' first)",
    });
  }
  throw new DtError(ExitCode.failed, `git merge-base HEAD ${ref} failed in ${root} (exit ${result.code}): ${said}`);
}

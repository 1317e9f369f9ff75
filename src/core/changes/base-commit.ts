import { DtError, ExitCode, usageError } from "../base/errors.ts";
import { git, gitRaw } from "../git/git.ts";
import { readHead } from "../workspace/workspace.ts";

/**
 * The commit to compare with: the merge-base of HEAD and `explicit`, or of HEAD and the default
 * branch. Using the merge-base for an explicit ref too means commits made on that ref after this
 * branch forked do not count as changes here (as in `git diff REF...`).
 *
 * The default branch, first found of:
 *   1. `origin/HEAD` (what the remote says its default branch is);
 *   2. local `main`, else `master`; but when HEAD is on that very branch and `origin/<it>` exists,
 *      `origin/<it>`, so commits not pushed yet count (the merge-base with itself would be HEAD);
 *   3. `origin/main`, else `origin/master` (a CI checkout often has no local branch and no
 *      origin/HEAD).
 * When HEAD is the default branch and there is no upstream, the base is HEAD itself: only
 * uncommitted changes count. With none of these it is a usage error asking for --base, rather
 * than a silent "nothing changed" that would skip every test in CI.
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
  const baseRef = await defaultBranch(root, head?.branch ?? null);
  return { base: await mergeBase(root, baseRef, false), baseRef };
}

async function defaultBranch(root: string, headBranch: string | null): Promise<string> {
  const candidates = [
    "refs/remotes/origin/HEAD",
    "refs/heads/main",
    "refs/heads/master",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
  ];
  const out = await git(["for-each-ref", "--format=%(refname) %(symref)", ...candidates], root);
  const refs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [name, symref] = line.split(" ");
    // for-each-ref also matches refs *below* a pattern (refs/heads/main/x): keep exact names.
    if (name && candidates.includes(name)) refs.set(name, symref ?? "");
  }
  const short = (ref: string) => ref.replace(/^refs\/(heads|remotes)\//, "");
  const originHead = refs.get("refs/remotes/origin/HEAD");
  if (originHead) return short(originHead);
  for (const branch of ["main", "master"]) {
    if (!refs.has(`refs/heads/${branch}`)) continue;
    if (headBranch === branch && refs.has(`refs/remotes/origin/${branch}`)) return `origin/${branch}`;
    return branch;
  }
  for (const branch of ["main", "master"]) {
    if (refs.has(`refs/remotes/origin/${branch}`)) return `origin/${branch}`;
  }
  throw usageError("--changed: cannot tell the default branch (no origin/HEAD, main or master)", {
    hint: "name the base: --base REF (e.g. --base origin/develop), or run 'git remote set-head origin --auto'",
  });
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

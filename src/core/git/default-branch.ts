// One answer to "which branch is the default?" for every command that asks: `dt ci init` writes
// it into the workflow, `dt test --changed` and `dt ci matrix --changed` compare with it. Two
// answers would let a pull request be tested against another branch than the one CI guards.
import { git } from "./git.ts";

interface DefaultBranch {
  /** The branch name, without a remote: `main`. */
  name: string;
  /** Which rule found it (see `defaultBranch`); "current" is a guess, the others are not. */
  from: "origin/HEAD" | "local" | "origin" | "current";
  /** `origin/NAME` exists in this clone. */
  onOrigin: boolean;
}

const ORIGIN = "refs/remotes/origin/";

/**
 * The default branch of the repo at `repo`, first found of:
 *   1. `origin/HEAD`: what the remote says its default branch is;
 *   2. a local `main`, else `master`;
 *   3. `origin/main`, else `origin/master` (a CI checkout often has neither a local branch nor
 *      origin/HEAD);
 *   4. the branch on origin, when origin has exactly one;
 *   5. `currentBranch`, the branch checked out (null when HEAD is detached).
 * Null when none applies. One `git for-each-ref`; the caller reads the current branch itself.
 */
export async function defaultBranch(repo: string, currentBranch: string | null): Promise<DefaultBranch | null> {
  const out = await git(["for-each-ref", "--format=%(refname) %(symref)", "refs/remotes/origin", "refs/heads/main", "refs/heads/master"], repo);
  const local = new Set<string>();
  const origin = new Set<string>();
  let originHead: string | undefined;
  for (const line of out.split("\n")) {
    const [ref, symref] = line.split(" ");
    if (!ref) continue;
    if (ref === `${ORIGIN}HEAD`) {
      if (symref?.startsWith(ORIGIN)) originHead = symref.slice(ORIGIN.length);
    } else if (ref.startsWith(ORIGIN)) {
      origin.add(ref.slice(ORIGIN.length));
    } else if (ref === "refs/heads/main" || ref === "refs/heads/master") {
      // The patterns also match refs below them (refs/heads/main/x): only the exact names count.
      local.add(ref.slice("refs/heads/".length));
    }
  }
  const found = (name: string, from: DefaultBranch["from"]): DefaultBranch => ({ name, from, onOrigin: origin.has(name) });
  if (originHead) return found(originHead, "origin/HEAD");
  for (const name of ["main", "master"]) if (local.has(name)) return found(name, "local");
  for (const name of ["main", "master"]) if (origin.has(name)) return found(name, "origin");
  if (origin.size === 1) return found([...origin][0]!, "origin");
  return currentBranch ? found(currentBranch, "current") : null;
}

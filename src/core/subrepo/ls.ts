import { gitRaw } from "../git/git.ts";
import { isBranchName } from "../git/ref-name.ts";
import { findSubRepos, findWorkspaceRoot, type SubRepo } from "../workspace/workspace.ts";
import { markDirty } from "./dirty.ts";
import { absOf } from "./paths.ts";
import { trackingBranch, type Tracking } from "./tracking.ts";

interface SubRepoStatus extends SubRepo, Tracking {
  /** Commits of HEAD not in origin/TRACKING, and the reverse; null when either is unknown. */
  ahead: number | null;
  behind: number | null;
}

/** Every sub-repo with its state: one `git status` and one `git rev-list` each, in parallel. */
export async function listSubRepos(cwd: string): Promise<{ root: string; subRepos: SubRepoStatus[] }> {
  const root = findWorkspaceRoot(cwd);
  const subs = findSubRepos(root);
  const counts = subs.map(async (s): Promise<SubRepoStatus> => {
    if (!s.initialised) return { ...s, tracking: s.trackedBranch, trackingFrom: s.trackedBranch ? "gitmodules" : null, ahead: null, behind: null };
    const t = trackingBranch(root, s);
    // A branch name git would refuse (from .gitmodules) has no remote counterpart to count.
    if (!t.tracking || !isBranchName(t.tracking)) return { ...s, ...t, ahead: null, behind: null };
    const r = await gitRaw(["rev-list", "--left-right", "--count", "--end-of-options", `HEAD...refs/remotes/origin/${t.tracking}`], absOf(root, s.path));
    const [ahead, behind] = r.code === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [];
    return { ...s, ...t, ahead: ahead ?? null, behind: behind ?? null };
  });
  const [statuses] = await Promise.all([Promise.all(counts), markDirty(root, subs)]);
  return { root, subRepos: statuses.map((s, i) => ({ ...s, dirty: subs[i]!.dirty })) };
}

import { join } from "node:path";
import { DtError, envError, usageError, workError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { git, gitRaw, stderrTail } from "../git/git.ts";
import { parseGitmodules } from "../git/gitmodules.ts";
import { isBranchName, isRemoteName } from "../git/ref-name.ts";
import { findSubRepos, findWorkspaceRoot, readHead, type SubRepo } from "../workspace/workspace.ts";
import { markDirty } from "./dirty.ts";
import { absOf, fromCwd } from "./paths.ts";
import { declaredBranch, trackingBranch } from "./tracking.ts";

interface PullResult {
  path: string;
  branch: string;
  remote: string;
  old: string | null;
  new: string | null;
  /** It was detached and dt switched it to its tracked branch first. */
  switched: boolean;
}

interface PullPlan {
  sub: SubRepo;
  branch: string;
  remote: string;
  remoteBranch: string;
  switchTo: boolean;
}

/** `git config --list` of a repo, as a map (last value wins, as in git). */
async function repoConfig(dir: string): Promise<Map<string, string>> {
  const out = await git(["config", "--local", "--list", "--null"], dir);
  const map = new Map<string, string>();
  for (const entry of out.split("\0")) {
    const nl = entry.indexOf("\n");
    if (entry) map.set(nl < 0 ? entry : entry.slice(0, nl), nl < 0 ? "true" : entry.slice(nl + 1));
  }
  return map;
}

/** `.gitmodules:LINE` of the sub-repo's section, for an error about what it declares. */
function declaredAt(root: string, sub: SubRepo): string {
  const file = sub.parent === "." ? ".gitmodules" : `${sub.parent}/.gitmodules`;
  const decl = parseGitmodules(readText(join(root, file)) ?? "", file).find((d) => d.name === sub.name);
  return decl ? `${file}:${decl.line}` : file;
}

function planPull(sub: SubRepo, config: Map<string, string>, root: string, cwd: string): PullPlan | DtError {
  const at = fromCwd(root, cwd, sub.path);
  if (sub.dirty) return usageError(`${sub.path} has uncommitted changes`, { hint: `commit or stash them first (git -C ${at} status)` });
  const switchTo = sub.branch === null;
  const branch = sub.branch ?? declaredBranch(root, sub);
  if (branch && !isBranchName(branch)) {
    return usageError(`the branch ${JSON.stringify(branch)} declared for ${sub.path} is not a valid branch name`, {
      where: declaredAt(root, sub),
      hint: `fix 'branch =' of [submodule "${sub.name}"] (git check-ref-format --branch NAME tells a valid one)`,
    });
  }
  if (!branch) {
    const guess = trackingBranch(root, sub).tracking ?? "main";
    return usageError(`${sub.path} is on a detached HEAD and .gitmodules names no branch for it`, {
      hint: `git -C ${at} switch ${guess}, or set the branch: git config -f ${join(fromCwd(root, cwd, sub.parent), ".gitmodules")} submodule.${sub.name}.branch ${guess}`,
    });
  }
  const remote = config.get(`branch.${branch}.remote`) ?? "origin";
  const remoteBranch = (config.get(`branch.${branch}.merge`) ?? branch).replace(/^refs\/heads\//, "");
  if (!isRemoteName(remote) || !isBranchName(remoteBranch)) {
    return usageError(`${sub.path}: branch ${branch} is set to track ${JSON.stringify(remote)}/${JSON.stringify(remoteBranch)}, which is not a valid remote and branch`, {
      hint: `git -C ${at} branch --set-upstream-to=origin/${branch}`,
    });
  }
  if (remote !== "." && !config.has(`remote.${remote}.url`)) {
    return envError(`${sub.path} has no remote '${remote}' to pull ${branch} from`, { hint: `git -C ${at} remote add ${remote} URL` });
  }
  return { sub, branch, remote, remoteBranch, switchTo };
}

/** Refuses with every problem at once: exit code and hint of the first. */
function refuse(problems: DtError[]): DtError {
  if (problems.length === 1) return problems[0]!;
  const hints = [...new Set(problems.map((p) => p.hint).filter(Boolean))];
  return new DtError(problems[0]!.exitCode, problems.map((p) => p.message).join("\n"), { hint: hints.join("\n       ") });
}

/**
 * Fast-forwards every initialised sub-repo to its remote branch, outermost first. Checks them
 * all before touching any. Moves no pointer in a super-repo (that is `rollForward`).
 */
export async function pullSubRepos(cwd: string, onPulled?: (r: PullResult) => void): Promise<{ root: string; pulled: PullResult[]; skipped: string[] }> {
  const root = findWorkspaceRoot(cwd);
  const subs = findSubRepos(root);
  const ready = subs.filter((s) => s.initialised);
  const [configs] = await Promise.all([Promise.all(ready.map((s) => repoConfig(absOf(root, s.path)))), markDirty(root, subs)]);
  const plans = ready.map((s, i) => planPull(s, configs[i]!, root, cwd));
  const problems = plans.filter((p): p is DtError => p instanceof DtError);
  if (problems.length > 0) throw refuse(problems);
  const pulled: PullResult[] = [];
  for (const plan of plans as PullPlan[]) {
    const { sub, branch, remote, remoteBranch } = plan;
    const dir = absOf(root, sub.path);
    const at = fromCwd(root, cwd, sub.path);
    const old = readHead(dir)?.commit ?? null;
    if (plan.switchTo) {
      await git(["fetch", "--quiet", "--no-recurse-submodules", "--end-of-options", remote], dir);
      const r = await gitRaw(["switch", "--quiet", "--end-of-options", branch], dir);
      if (r.code !== 0) {
        throw workError(`cannot switch ${sub.path} to its tracked branch ${branch}: ${stderrTail(r.stderr)}`, {
          hint: `check the branch of ${sub.path} in .gitmodules, or switch by hand: git -C ${at} switch BRANCH`,
        });
      }
    }
    const r = await gitRaw(["pull", "--quiet", "--no-rebase", "--ff-only", "--no-recurse-submodules", "--end-of-options", remote, remoteBranch], dir);
    if (r.code !== 0) {
      throw workError(`cannot fast-forward ${sub.path} (${branch}) to ${remote}/${remoteBranch}: ${stderrTail(r.stderr)}`, {
        hint: `merge or rebase by hand (git -C ${at} pull --rebase), then run 'dt subrepo pull' again`,
      });
    }
    const result = { path: sub.path, branch, remote, old, new: readHead(dir)?.commit ?? null, switched: plan.switchTo };
    pulled.push(result);
    onPulled?.(result);
  }
  return { root, pulled, skipped: subs.filter((s) => !s.initialised).map((s) => s.path) };
}

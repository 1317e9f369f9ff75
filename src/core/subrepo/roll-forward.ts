import { usageError, workError } from "../base/errors.ts";
import { git, gitRaw, stderrTail } from "../git/git.ts";
import { findSubRepos, findWorkspaceRoot, readHead, relPath, type SubRepo } from "../workspace/workspace.ts";
import { markDirty } from "./dirty.ts";
import { absOf, fromCwd, inRepo, realResolve } from "./paths.ts";
import { short } from "./short-commit.ts";

/** How many new commits a roll-forward message lists per sub-repo before "... and N more". */
const MAX_LISTED = 10;

export interface Move {
  path: string;
  /** The repo whose pointer moved ("." for the root). */
  parent: string;
  old: string;
  new: string;
  /** Commits in old..new, newest first, at most MAX_LISTED; null when old is not in the clone. */
  commits: { hash: string; subject: string }[] | null;
  more: number;
}

interface RollForwardResult {
  root: string;
  moves: Move[];
  /** The commits made, innermost first; the root's, if any, is last. */
  commits: { repo: string; commit: string; detached: boolean }[];
}

async function newCommits(dir: string, old: string, now: string): Promise<Pick<Move, "commits" | "more">> {
  const r = await gitRaw(["log", "--format=%H%x09%s", `${old}..${now}`], dir);
  if (r.code !== 0) return { commits: null, more: 0 };
  const all = r.stdout.split("\n").filter(Boolean).map((line) => {
    const tab = line.indexOf("\t");
    return { hash: line.slice(0, tab), subject: line.slice(tab + 1) };
  });
  return { commits: all.slice(0, MAX_LISTED), more: Math.max(0, all.length - MAX_LISTED) };
}

/** The commit message: the subject, then each move and the one-line subjects of its new commits. */
export function rollForwardMessage(subject: string, moves: readonly Move[], repo = "."): string {
  const lines = [subject, ""];
  for (const m of [...moves].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    lines.push(`${inRepo(repo, m.path)}: ${short(m.old)} -> ${short(m.new)}`);
    if (m.commits === null) lines.push(`  (${short(m.old)} is not in the local clone; no log)`);
    else if (m.commits.length === 0) lines.push("  (moved back: no new commits)");
    for (const c of m.commits ?? []) lines.push(`  ${short(c.hash)} ${c.subject}`);
    if (m.more > 0) lines.push(`  ... and ${m.more} more`);
  }
  return `${lines.join("\n")}\n`;
}

/** The gitlinks HEAD of `repoAbs` records for `paths` (repo-relative). */
async function recordedLinks(repoAbs: string, paths: string[]): Promise<Map<string, string>> {
  const out = await git(["ls-tree", "-z", "HEAD", "--", ...paths], repoAbs);
  const links = new Map<string, string>();
  for (const entry of out.split("\0")) {
    const m = /^160000 commit ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (m) links.set(m[2]!, m[1]!);
  }
  return links;
}

/**
 * Moves the pointers of the chosen sub-repos (all initialised ones by default; a nested one
 * brings its ancestors) to their checked-out commits, innermost first. A sub-repo whose nested
 * pointer moved gets its own commit (on its current branch, or its detached HEAD), so that its
 * own pointer can move in its parent; the root gets exactly one commit. Each commit holds only
 * the gitlinks (`git commit --only -- PATHS`): whatever else is staged stays staged.
 */
export async function rollForward(o: { cwd: string; paths: string[]; message?: string }): Promise<RollForwardResult> {
  const root = findWorkspaceRoot(o.cwd);
  const subs = findSubRepos(root);
  const byPath = new Map(subs.map((s) => [s.path, s]));
  let chosen = subs.filter((s) => s.initialised);
  if (o.paths.length > 0) {
    const wanted = new Set<string>();
    for (const p of o.paths) {
      const path = relPath(root, realResolve(o.cwd, p)).replace(/\/+$/, "");
      const sub = byPath.get(path);
      if (!sub) throw usageError(`${p} is not a sub-repo of this workspace`, { hint: `give one of: ${subs.map((s) => s.path).join(", ") || "(none; add one with 'dt subrepo add')"}` });
      if (!sub.initialised) throw usageError(`${sub.path} is not initialised`, { hint: "run 'dt subrepo update'" });
      for (let s: SubRepo | undefined = sub; s; s = byPath.get(s.parent)) wanted.add(s.path);
    }
    chosen = chosen.filter((s) => wanted.has(s.path));
  }
  await markDirty(root, chosen);
  const dirty = chosen.filter((s) => s.dirty);
  if (dirty.length > 0) {
    throw usageError(`${dirty.map((s) => s.path).join(", ")} ${dirty.length === 1 ? "has" : "have"} uncommitted changes`, {
      hint: `commit or stash them first (git -C ${fromCwd(root, o.cwd, dirty[0]!.path)} status)`,
    });
  }
  const depth = (repo: string): number => (repo === "." ? 0 : 1 + depth(byPath.get(repo)?.parent ?? "."));
  const parents = [...new Set(chosen.map((s) => s.parent))].sort((a, b) => depth(b) - depth(a));
  const subject = o.message?.trim() || "Roll forward sub-repos";
  const result: RollForwardResult = { root, moves: [], commits: [] };
  for (const parent of parents) {
    const parentAbs = absOf(root, parent);
    const children = chosen.filter((s) => s.parent === parent);
    const recorded = await recordedLinks(parentAbs, children.map((s) => inRepo(parent, s.path)));
    const moved = await Promise.all(
      children.map(async (s): Promise<Move | undefined> => {
        const dir = absOf(root, s.path);
        const now = readHead(dir)?.commit; // re-read: a nested roll-forward may have committed
        const old = recorded.get(inRepo(parent, s.path));
        if (!now || !old || now === old) return undefined;
        return { path: s.path, parent, old, new: now, ...(await newCommits(dir, old, now)) };
      }),
    );
    const here = moved.filter((m): m is Move => m !== undefined);
    if (here.length === 0) continue;
    result.moves.push(...here);
    // The root's message names every move in the workspace; a nested parent's only its own.
    const message = rollForwardMessage(subject, parent === "." ? result.moves : here, parent);
    const r = await gitRaw(["commit", "--quiet", "-m", message, "--only", "--", ...here.map((m) => inRepo(parent, m.path))], parentAbs);
    if (r.code !== 0) {
      const where = parent === "." ? "the workspace root" : parent;
      throw workError(`git commit failed in ${where}: ${stderrTail(r.stderr || r.stdout)}`, {
        hint: `fix what git (or a commit hook) says, then run 'dt subrepo roll-forward' again${result.commits.length ? `; the commits already made in ${result.commits.map((c) => c.repo).join(", ")} stay` : ""}`,
      });
    }
    const head = readHead(parentAbs);
    result.commits.push({ repo: parent, commit: head?.commit ?? "", detached: head?.branch === null });
  }
  result.moves.sort((a, b) => (a.path < b.path ? -1 : 1));
  return result;
}

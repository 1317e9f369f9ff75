import { readHead, type SubRepo, type Workspace } from "../workspace/workspace.ts";
import { GITLINK, merge, rangeDiff, status, type MovedLink, type RepoChanges } from "./repo-changes.ts";

/** Accumulated over the whole workspace while walking its repos. */
export interface Collected {
  files: Set<string>;
  /** Sub-repos that count as changed as a whole -> the reason. */
  wholes: Map<string, string>;
  /** Sub-repos whose pointer moved and whose files were diffed -> the reason. */
  moves: Map<string, string>;
}

/**
 * Records the changes of the repo at `repo` ("." or a sub-repo path) and follows its sub-repos:
 * a sub-repo whose pointer did not move is compared with its own HEAD (uncommitted changes only);
 * one whose pointer moved, with the old pointer. Siblings are followed in parallel.
 */
export async function followRepo(ws: Workspace, repo: string, changes: RepoChanges, out: Collected): Promise<void> {
  const prefix = (p: string) => (repo === "." ? p : `${repo}/${p}`);
  for (const p of changes.paths) out.files.add(prefix(p));

  const children = ws.subRepos.filter((s) => s.parent === repo);
  const declared = new Set(children.map((s) => s.path));
  // A gitlink that is no declared sub-repo (removed from .gitmodules, or a repo added with plain
  // `git add`) cannot be followed: the path itself is the change.
  for (const [p] of changes.links) if (!declared.has(prefix(p))) out.files.add(prefix(p));

  await Promise.all(
    children.map(async (sub) => {
      const inParent = repo === "." ? sub.path : sub.path.slice(repo.length + 1);
      const link = changes.links.get(inParent);
      if (!link) {
        if (sub.initialised) await followRepo(ws, sub.path, await status(abs(ws, sub.path)), out);
        return;
      }
      await followMoved(ws, sub, link, out);
    }),
  );
}

async function followMoved(ws: Workspace, sub: SubRepo, link: MovedLink, out: Collected): Promise<void> {
  const whole = (reason: string) => {
    out.files.add(sub.path);
    out.wholes.set(sub.path, reason);
  };
  if (link.oldMode !== GITLINK) return whole(`sub-repo ${sub.path} was added: all of it counts as changed`);
  // Read HEAD now rather than trusting the scan's snapshot: it is a file read, not a process.
  const newOid = sub.initialised ? (readHead(abs(ws, sub.path))?.commit ?? sub.commit ?? "") : link.newOid;
  const moved = `sub-repo ${sub.path} moved ${short(link.oldOid)}..${short(newOid)}`;
  if (!sub.initialised) return whole(`${moved}; it is not checked out, so all of it counts as changed`);

  const cwd = abs(ws, sub.path);
  if (newOid === link.oldOid) {
    // Moved and moved back: only its uncommitted changes are left.
    return followRepo(ws, sub.path, await status(cwd), out);
  }
  const [uncommitted, committed] = await Promise.all([status(cwd), rangeDiff(cwd, link.oldOid)]);
  if (!committed.ok) {
    return whole(
      `${moved}; ${short(link.oldOid)} is not in the sub-repo (shallow or not fetched), so all of it counts as changed`,
    );
  }
  out.moves.set(sub.path, moved);
  await followRepo(ws, sub.path, merge(uncommitted, committed.changes), out);
}

const short = (oid: string) => (oid ? oid.slice(0, 7) : "(none)");
const abs = (ws: Workspace, rel: string) => (rel === "." ? ws.root : `${ws.root}/${rel}`);

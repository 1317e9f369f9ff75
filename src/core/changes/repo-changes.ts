import { git, gitRaw } from "../git/git.ts";
import { trimSlash } from "./paths.ts";

export const GITLINK = "160000";

/** A gitlink (sub-repo pointer) that differs between a repo's base and its working tree. */
export interface MovedLink {
  /** Mode at the base: GITLINK, or something else when the sub-repo was added since. */
  oldMode: string;
  oldOid: string;
  /** The pointer the parent records now (index or HEAD); shown for sub-repos not checked out. */
  newOid: string;
}

export interface RepoChanges {
  /** Changed paths relative to the repo, gitlinks excluded. */
  paths: Set<string>;
  /** Gitlinks that moved, by path relative to the repo. */
  links: Map<string, MovedLink>;
}

/** Staged, unstaged and untracked changes of one repo against its HEAD: one `git status`. */
export async function status(cwd: string): Promise<RepoChanges> {
  const out = await git(
    [
      // Do not refresh-and-write the index behind the user's (or their IDE's) back.
      "--no-optional-locks",
      "status",
      "--porcelain=v2",
      "-z",
      "--untracked-files=all",
      // A sub-repo's own edits are found by its own status; here only a moved pointer matters.
      "--ignore-submodules=dirty",
      "--no-renames",
    ],
    cwd,
  );
  return parseStatus(out);
}

/** Parses `git status --porcelain=v2 -z`. Paths may hold spaces, so fields are taken by count. */
function parseStatus(out: string): RepoChanges {
  const changes: RepoChanges = { paths: new Set(), links: new Map() };
  const tokens = out.split("\0");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "") continue;
    const kind = t[0];
    if (kind === "?" || kind === "!") {
      changes.paths.add(trimSlash(t.slice(2)));
    } else if (kind === "1" || kind === "2") {
      // 1 XY sub mH mI mW hH hI path | 2 XY sub mH mI mW hH hI Xscore path \0 origPath
      const f = t.split(" ");
      const path = f.slice(kind === "1" ? 8 : 9).join(" ");
      const [mH, mI, mW, hH, hI] = [f[3]!, f[4]!, f[5]!, f[6]!, f[7]!];
      if (mH === GITLINK || mI === GITLINK || mW === GITLINK) {
        changes.links.set(path, { oldMode: mH, oldOid: hH, newOid: hI });
      } else {
        changes.paths.add(path);
      }
      if (kind === "2") changes.paths.add(tokens[++i] ?? "");
    } else if (kind === "u") {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path: a merge conflict; the path is changed either way.
      changes.paths.add(t.split(" ").slice(10).join(" "));
    }
  }
  changes.paths.delete("");
  return changes;
}

type RangeResult = { ok: true; changes: RepoChanges } | { ok: false; error: string };

/** What commits since `base` changed in the repo at `cwd`: one tree-to-tree `git diff`. */
export async function rangeDiff(cwd: string, base: string): Promise<RangeResult> {
  const result = await gitRaw(
    [
      "--no-optional-locks",
      "diff",
      "--raw",
      "-z",
      "--no-abbrev",
      // Both sides of a move matter (a file moved from one dir to another affects both).
      "--no-renames",
      "--no-ext-diff",
      // `ignore = all` in .gitmodules would hide moved pointers, which are what we follow.
      "--ignore-submodules=none",
      base,
      "HEAD",
      "--",
    ],
    cwd,
  );
  if (result.code !== 0) {
    return { ok: false, error: result.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${result.code}` };
  }
  return { ok: true, changes: parseRawDiff(result.stdout) };
}

/** Parses `git diff --raw -z`: ":mO mN oO oN STATUS\0path\0" (a second path for renames/copies). */
function parseRawDiff(out: string): RepoChanges {
  const changes: RepoChanges = { paths: new Set(), links: new Map() };
  const tokens = out.split("\0");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.startsWith(":")) continue;
    const [mO, mN, oO, oN, st] = t.slice(1).split(" ");
    const path = tokens[++i] ?? "";
    if (st?.startsWith("R") || st?.startsWith("C")) changes.paths.add(tokens[++i] ?? "");
    if (mO === GITLINK || mN === GITLINK) changes.links.set(path, { oldMode: mO!, oldOid: oO!, newOid: oN! });
    else changes.paths.add(path);
  }
  changes.paths.delete("");
  return changes;
}

/**
 * Union of the committed range (base..HEAD) and the uncommitted state (HEAD..working tree).
 * For a gitlink, the pointer at the base comes from the range when it moved there; otherwise
 * the pointer at HEAD (from status) is also the one at the base.
 */
export function merge(uncommitted: RepoChanges, committed?: RepoChanges): RepoChanges {
  if (!committed) return uncommitted;
  const paths = new Set([...committed.paths, ...uncommitted.paths]);
  const links = new Map(committed.links);
  for (const [path, link] of uncommitted.links) {
    const earlier = links.get(path);
    links.set(path, earlier ? { ...earlier, newOid: link.newOid } : link);
  }
  return { paths, links };
}

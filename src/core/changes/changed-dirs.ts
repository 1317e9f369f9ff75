// `--changed`: which runnable dirs are affected by the changes since a base commit.
//
// What counts as changed, per repo of the workspace (root first, then each sub-repo):
//   committed   `git diff BASE HEAD`        (skipped when BASE is HEAD)
//   uncommitted `git status --porcelain=v2` (staged + unstaged vs HEAD, and untracked files)
// The union is "changed since BASE, including the working tree". A sub-repo's BASE is the
// pointer (gitlink) its parent had at the parent's BASE, so a moved pointer counts as the files
// that changed between the two commits, at any depth. That is 1 git call per repo whose pointer
// did not move and 2 per repo whose pointer moved, plus 2 in the root to find BASE
// (for-each-ref for the default branch, merge-base; only the latter with --base).
import { posix } from "node:path";
import { loadConfig } from "../config/config.ts";
import { DtError, ExitCode, usageError } from "../base/errors.ts";
import { git, gitRaw } from "../git/git.ts";
import { readHead, type RunnableDir, type SubRepo, type Workspace } from "../workspace/workspace.ts";

export interface ChangedDir {
  /** Runnable dir, relative to the workspace root ("." for the root). */
  path: string;
  /** Why it was selected, one line each, for people. */
  reasons: string[];
  /** A file under the dir's own `devops/` changed: its image no longer matches its sources. */
  staleImage: boolean;
}

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

const GITLINK = "160000";
/** How many example files a reason names before "and N more". */
const EXAMPLES = 3;

/** A gitlink (sub-repo pointer) that differs between a repo's base and its working tree. */
interface MovedLink {
  /** Mode at the base: GITLINK, or something else when the sub-repo was added since. */
  oldMode: string;
  oldOid: string;
  /** The pointer the parent records now (index or HEAD); shown for sub-repos not checked out. */
  newOid: string;
}

interface RepoChanges {
  /** Changed paths relative to the repo, gitlinks excluded. */
  paths: Set<string>;
  /** Gitlinks that moved, by path relative to the repo. */
  links: Map<string, MovedLink>;
}

/** Accumulated over the whole workspace while walking its repos. */
interface Collected {
  files: Set<string>;
  /** Sub-repos that count as changed as a whole -> the reason. */
  wholes: Map<string, string>;
  /** Sub-repos whose pointer moved and whose files were diffed -> the reason. */
  moves: Map<string, string>;
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
  return { base, baseRef, files, dirs: selectDirs(ws, files, collected) };
}

/**
 * What tools write while they run (dt's reports and caches, Python's bytecode, pytest's cache)
 * is not a change to the code, gitignored or not; `.dt/sync.lock` is real content.
 */
export function isToolOutput(path: string): boolean {
  const segments = path.split("/");
  if (segments.includes("__pycache__") || segments.includes(".pytest_cache")) return true;
  const dt = segments.indexOf(".dt");
  return dt >= 0 && segments.slice(dt + 1).join("/") !== "sync.lock";
}

// ---------------------------------------------------------------- the base

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
async function resolveBase(root: string, explicit?: string): Promise<{ base: string; baseRef: string }> {
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

// ---------------------------------------------------------------- per repo

/** Staged, unstaged and untracked changes of one repo against its HEAD: one `git status`. */
async function status(cwd: string): Promise<RepoChanges> {
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
async function rangeDiff(cwd: string, base: string): Promise<RangeResult> {
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
function merge(uncommitted: RepoChanges, committed?: RepoChanges): RepoChanges {
  if (!committed) return uncommitted;
  const paths = new Set([...committed.paths, ...uncommitted.paths]);
  const links = new Map(committed.links);
  for (const [path, link] of uncommitted.links) {
    const earlier = links.get(path);
    links.set(path, earlier ? { ...earlier, newOid: link.newOid } : link);
  }
  return { paths, links };
}

/**
 * Records the changes of the repo at `repo` ("." or a sub-repo path) and follows its sub-repos:
 * a sub-repo whose pointer did not move is compared with its own HEAD (uncommitted changes only);
 * one whose pointer moved, with the old pointer. Siblings are followed in parallel.
 */
async function followRepo(ws: Workspace, repo: string, changes: RepoChanges, out: Collected): Promise<void> {
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

// ---------------------------------------------------------------- selecting dirs

/**
 * A changed path selects the innermost runnable dir that contains it, and every dir whose
 * `test.depends_on` names it or a path around it. A sub-repo changed as a whole also selects
 * every runnable dir inside it.
 */
function selectDirs(ws: Workspace, files: readonly string[], collected: Collected): ChangedDir[] {
  if (files.length === 0) return [];
  const own = new Map<string, string[]>();
  for (const f of files) {
    const dir = innermost(f, ws.runnableDirs);
    // A whole sub-repo that is itself a runnable dir is reported by the "whole" reason alone.
    if (!dir || (collected.wholes.has(f) && dir.path === f)) continue;
    own.set(dir.path, [...(own.get(dir.path) ?? []), f]);
  }

  const selected: ChangedDir[] = [];
  for (const dir of [...ws.runnableDirs].sort((a, b) => byPath(a.path, b.path))) {
    const reasons: string[] = [];
    const contributing: string[] = [];
    let staleImage = false;

    const mine = own.get(dir.path) ?? [];
    if (mine.length > 0) {
      reasons.push(`changed: ${examples(mine)}`);
      contributing.push(...mine);
      const devops = dir.path === "." ? "devops" : `${dir.path}/devops`;
      if (mine.some((f) => within(devops, f))) staleImage = true;
    }
    for (const [subPath, reason] of collected.wholes) {
      if (within(subPath, dir.path)) {
        reasons.push(reason);
        // Everything in it changed, its devops/ included.
        staleImage = true;
      }
    }
    for (const dep of dependsOn(ws.root, dir)) {
      const hits = files.filter((f) => within(dep, f) || within(f, dep));
      if (hits.length === 0) continue;
      reasons.push(`depends on ${dep} (changed: ${examples(hits)})`);
      contributing.push(...hits);
    }
    if (reasons.length === 0) continue;
    for (const [subPath, reason] of collected.moves) {
      if (contributing.some((f) => within(subPath, f))) reasons.push(reason);
    }
    // The dir that holds a wholly changed sub-repo (or depends on it) is told why, too.
    for (const [subPath, reason] of collected.wholes) {
      if (contributing.includes(subPath) && !reasons.includes(reason)) reasons.push(reason);
    }
    if (staleImage) {
      const where = dir.path === "." ? "devops/" : `${dir.path}/devops/`;
      reasons.push(`${where} changed: the image is stale, rebuild it with 'dt docker build'`);
    }
    selected.push({ path: dir.path, reasons, staleImage });
  }
  return selected;
}

/** The dir's `test.depends_on` (root dt.yaml, overridden by its own), normalised; "." is all. */
function dependsOn(root: string, dir: RunnableDir): string[] {
  const raw = loadConfig(root, dir.path).config.test.depends_on ?? [];
  const out = new Set<string>();
  for (const entry of raw) {
    const p = trimSlash(posix.normalize(entry.replaceAll("\\", "/")));
    // Outside the workspace: nothing of ours can match it.
    if (p === ".." || p.startsWith("../") || p.startsWith("/")) continue;
    out.add(p);
  }
  return [...out];
}

function innermost(path: string, dirs: readonly RunnableDir[]): RunnableDir | undefined {
  let best: RunnableDir | undefined;
  for (const d of dirs) {
    if (within(d.path, path) && (!best || best.path === "." || d.path.length > best.path.length)) best = d;
  }
  return best;
}

/** Is `path` the dir `dir` or below it (both relative to the workspace root)? */
function within(dir: string, path: string): boolean {
  return dir === "." || path === dir || path.startsWith(`${dir}/`);
}

function examples(files: readonly string[]): string {
  const shown = files.slice(0, EXAMPLES).join(", ");
  return files.length > EXAMPLES ? `${shown} and ${files.length - EXAMPLES} more` : shown;
}

/** Root first, then plain code-unit order: the same on every machine and locale. */
function byPath(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ".") return -1;
  if (b === ".") return 1;
  return a < b ? -1 : 1;
}

const short = (oid: string) => (oid ? oid.slice(0, 7) : "(none)");
const trimSlash = (p: string) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);
const abs = (ws: Workspace, rel: string) => (rel === "." ? ws.root : `${ws.root}/${rel}`);

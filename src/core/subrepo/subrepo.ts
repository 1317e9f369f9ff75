// `dt subrepo`: sub-repos (git submodules) at every depth, added, listed, updated, pulled,
// rolled forward and iterated over. Paths are relative to the workspace root, `/`-separated.
//
// Local URLs: git >= 2.38 refuses the file transport for submodules unless
// `protocol.file.allow=always`. dt passes `-c protocol.file.allow=always` to a `git submodule`
// call only when a URL that call may clone is a local path or `file://` (a `./`, `../` URL
// counts as local when the repo's origin is local or missing); never for remote URLs. Updates
// go one repo level at a time, so the decision is made from each repo's own `.gitmodules`.
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { DtError, ExitCode, envError, usageError, workError } from "../base/errors.ts";
import { isDir, readText } from "../base/fs-util.ts";
import { git, gitRaw } from "../git/git.ts";
import { parseGitmodules } from "../git/gitmodules.ts";
import { findSubRepos, findWorkspaceRoot, owningRepo, readHead, relPath, type SubRepo } from "../workspace/workspace.ts";

const FILE_ALLOW = ["-c", "protocol.file.allow=always"] as const;
/** How many new commits a roll-forward message lists per sub-repo before "... and N more". */
const MAX_LISTED = 10;

export const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : "-");
const absOf = (root: string, rel: string) => (rel === "." ? root : join(root, rel));
/** `path` relative to the repo at `repo` (both workspace-relative). */
const inRepo = (repo: string, path: string) => (repo === "." ? path : path.slice(repo.length + 1));
const isRelativeUrl = (url: string) => url.startsWith("./") || url.startsWith("../");
/** A workspace path as the user at `cwd` types it, for `git -C` in hints. */
const fromCwd = (root: string, cwd: string, path: string) => relative(cwd, absOf(root, path)) || ".";
const said = (stderr: string) => stderr.trim().split("\n").slice(-3).join(" / ");

/** Whether git fetches `url` over the file transport. `base` resolves `./` and `../` URLs. */
export function isLocalUrl(url: string, base?: string | null): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return /^file:\/\//i.test(url);
  if (isRelativeUrl(url)) return base ? isLocalUrl(base) : true;
  return !/^[^/]*:/.test(url); // host:path (a colon before any slash) is ssh
}

async function fileFlags(repoAbs: string, urls: readonly (string | null)[]): Promise<string[]> {
  let base: string | null | undefined;
  for (const url of urls) {
    if (!url) continue;
    if (isRelativeUrl(url) && base === undefined) {
      const r = await gitRaw(["config", "--get", "remote.origin.url"], repoAbs);
      base = r.code === 0 ? r.stdout.trim() : null;
    }
    if (isLocalUrl(url, base)) return [...FILE_ALLOW];
  }
  return [];
}

/** `p` resolved against `cwd` through symlinks, also when its last parts do not exist yet. */
function realResolve(cwd: string, p: string): string {
  const full = resolve(cwd, p);
  let dir = full;
  while (!isDir(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    return join(realpathSync(dir), full.slice(dir.length));
  } catch {
    return full;
  }
}

function gitDirOf(dir: string): string | undefined {
  const dotGit = join(dir, ".git");
  if (isDir(dotGit)) return dotGit;
  const pointer = readText(dotGit)?.trim();
  return pointer?.startsWith("gitdir:") ? resolve(dir, pointer.slice(7).trim()) : undefined;
}

/**
 * Marks each initialised sub-repo dirty (tracked changes or untracked files, its own sub-repos
 * not counted) or clean: one `git status` each, in parallel. What `ls` shows as dirty is what
 * pull and roll-forward refuse.
 */
async function markDirty(root: string, subs: SubRepo[]): Promise<void> {
  await Promise.all(
    subs
      .filter((s) => s.initialised)
      .map(async (s) => {
        const r = await gitRaw(["status", "--porcelain", "-z", "--ignore-submodules=all", "--untracked-files=normal"], absOf(root, s.path));
        s.dirty = r.code === 0 ? r.stdout.length > 0 : null;
      }),
  );
}

// ---------------------------------------------------------------- ls

export interface SubRepoStatus extends SubRepo {
  /** The branch compared with: .gitmodules `branch`, else origin's HEAD, else main. */
  tracking: string | null;
  trackingFrom: "gitmodules" | "origin/HEAD" | "default" | null;
  /** Commits of HEAD not in origin/TRACKING, and the reverse; null when either is unknown. */
  ahead: number | null;
  behind: number | null;
}

/** The branch .gitmodules asks for; "." means the super-repo's current branch, as in git. */
function declaredBranch(root: string, sub: SubRepo): string | null {
  return sub.trackedBranch === "." ? (readHead(absOf(root, sub.parent))?.branch ?? null) : sub.trackedBranch;
}

export function trackingBranch(root: string, sub: SubRepo): Pick<SubRepoStatus, "tracking" | "trackingFrom"> {
  const declared = declaredBranch(root, sub);
  if (declared) return { tracking: declared, trackingFrom: "gitmodules" };
  const gitDir = gitDirOf(absOf(root, sub.path));
  const originHead = gitDir && readText(join(gitDir, "refs/remotes/origin/HEAD"))?.trim();
  const match = originHead ? /^ref: refs\/remotes\/origin\/(.+)$/.exec(originHead) : null;
  if (match) return { tracking: match[1]!, trackingFrom: "origin/HEAD" };
  return { tracking: "main", trackingFrom: "default" };
}

/** Every sub-repo with its state: one `git status` and one `git rev-list` each, in parallel. */
export async function listSubRepos(cwd: string): Promise<{ root: string; subRepos: SubRepoStatus[] }> {
  const root = findWorkspaceRoot(cwd);
  const subs = findSubRepos(root);
  const counts = subs.map(async (s): Promise<SubRepoStatus> => {
    if (!s.initialised) return { ...s, tracking: s.trackedBranch, trackingFrom: s.trackedBranch ? "gitmodules" : null, ahead: null, behind: null };
    const t = trackingBranch(root, s);
    const r = await gitRaw(["rev-list", "--left-right", "--count", `HEAD...refs/remotes/origin/${t.tracking}`], absOf(root, s.path));
    const [ahead, behind] = r.code === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [];
    return { ...s, ...t, ahead: ahead ?? null, behind: behind ?? null };
  });
  const [statuses] = await Promise.all([Promise.all(counts), markDirty(root, subs)]);
  return { root, subRepos: statuses.map((s, i) => ({ ...s, dirty: subs[i]!.dirty })) };
}

// ---------------------------------------------------------------- update, add

/** `git submodule update --init` in `repo`, then in each of its sub-repos (outermost first). */
async function updateTree(root: string, repo: string): Promise<void> {
  const repoAbs = absOf(root, repo);
  const text = readText(join(repoAbs, ".gitmodules"));
  if (text === undefined) return;
  const decls = parseGitmodules(text, repo === "." ? ".gitmodules" : `${repo}/.gitmodules`);
  if (decls.length === 0) return;
  const flags = await fileFlags(repoAbs, decls.map((d) => d.url));
  const r = await gitRaw([...flags, "submodule", "update", "--init"], repoAbs);
  if (r.code !== 0) {
    throw workError(`git submodule update failed in ${repo === "." ? "the workspace root" : repo}: ${said(r.stderr)}`, {
      hint: "a sub-repo with local changes cannot be moved: commit or stash them ('dt subrepo ls' shows which are dirty); then run 'dt subrepo update' again",
    });
  }
  await Promise.all(
    decls.map((d) => {
      const path = repo === "." ? d.path : `${repo}/${d.path}`;
      return readHead(absOf(root, path)) ? updateTree(root, path) : undefined;
    }),
  );
}

export interface UpdateChange {
  path: string;
  kind: "initialised" | "moved";
  old: string | null;
  new: string | null;
  /** The branch it was on before; `git submodule update` leaves a moved sub-repo detached. */
  oldBranch: string | null;
}

export interface UpdateResult {
  root: string;
  changes: UpdateChange[];
  unchanged: string[];
  /** Declared but still not checked out (not in the index, or `update = none`). */
  uninitialised: string[];
}

/** Checks out the recorded commit of every sub-repo, initialising the missing ones. */
export async function updateSubRepos(cwd: string): Promise<UpdateResult> {
  const root = findWorkspaceRoot(cwd);
  const before = new Map(findSubRepos(root).map((s) => [s.path, s]));
  await updateTree(root, ".");
  const result: UpdateResult = { root, changes: [], unchanged: [], uninitialised: [] };
  for (const s of findSubRepos(root)) {
    const was = before.get(s.path);
    if (!s.initialised) result.uninitialised.push(s.path);
    else if (!was?.initialised) result.changes.push({ path: s.path, kind: "initialised", old: null, new: s.commit, oldBranch: null });
    else if (was.commit !== s.commit) result.changes.push({ path: s.path, kind: "moved", old: was.commit, new: s.commit, oldBranch: was.branch });
    else result.unchanged.push(s.path);
  }
  return result;
}

export interface AddResult {
  root: string;
  /** The repo the sub-repo was added to ("." for the root). */
  repo: string;
  path: string;
  url: string;
  branch: string | null;
  commit: string | null;
  /** Its own sub-repos, initialised with it. */
  nested: string[];
}

/** `git submodule add` in the repo that contains `path`, then its nested sub-repos. No commit. */
export async function addSubRepo(o: { cwd: string; url: string; path: string; branch?: string }): Promise<AddResult> {
  const root = findWorkspaceRoot(o.cwd);
  const path = relPath(root, realResolve(o.cwd, o.path)).replace(/\/+$/, "");
  if (path === "." || path.startsWith("../") || isAbsolute(path)) {
    throw usageError(`${o.path} is not inside the workspace ${root}`, { hint: "give a path inside the workspace, e.g. 'dt subrepo add URL helpers_root'" });
  }
  const subs = findSubRepos(root);
  if (subs.some((s) => s.path === path)) {
    throw usageError(`${path} is already a sub-repo`, { hint: "'dt subrepo update' checks it out; 'dt subrepo ls' lists the sub-repos" });
  }
  const repo = owningRepo(path, subs);
  if (subs.find((s) => s.path === repo)?.initialised === false) {
    throw usageError(`${path} is inside the sub-repo ${repo}, which is not initialised`, { hint: "run 'dt subrepo update' first" });
  }
  // A bare relative path that exists is meant from here; git would reject it. `./` and `../`
  // keep git's meaning: relative to the repo's origin URL (or the repo itself without one).
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(o.url) && !/^[^/]*:/.test(o.url) && !isRelativeUrl(o.url);
  const url = local && !isAbsolute(o.url) && isDir(resolve(o.cwd, o.url)) ? resolve(o.cwd, o.url) : o.url;
  const repoAbs = absOf(root, repo);
  const flags = await fileFlags(repoAbs, [url]);
  const branch = o.branch ? ["-b", o.branch] : [];
  const r = await gitRaw([...flags, "submodule", "add", "--quiet", ...branch, "--", url, inRepo(repo, path)], repoAbs);
  if (r.code !== 0) {
    throw workError(`git submodule add failed: ${said(r.stderr)}`, { hint: `check that ${url} is a git repository you can clone${o.branch ? ` and that it has a branch ${o.branch}` : ""}` });
  }
  await updateTree(root, path);
  const nested = findSubRepos(root).filter((s) => s.path.startsWith(`${path}/`));
  return { root, repo, path, url, branch: o.branch ?? null, commit: readHead(absOf(root, path))?.commit ?? null, nested: nested.map((s) => s.path) };
}

// ---------------------------------------------------------------- pull

export interface PullResult {
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

function planPull(sub: SubRepo, config: Map<string, string>, root: string, cwd: string): PullPlan | DtError {
  const at = fromCwd(root, cwd, sub.path);
  if (sub.dirty) return usageError(`${sub.path} has uncommitted changes`, { hint: `commit or stash them first (git -C ${at} status)` });
  const switchTo = sub.branch === null;
  const branch = sub.branch ?? declaredBranch(root, sub);
  if (!branch) {
    const guess = trackingBranch(root, sub).tracking ?? "main";
    return usageError(`${sub.path} is on a detached HEAD and .gitmodules names no branch for it`, {
      hint: `git -C ${at} switch ${guess}, or set the branch: git config -f ${join(fromCwd(root, cwd, sub.parent), ".gitmodules")} submodule.${sub.name}.branch ${guess}`,
    });
  }
  const remote = config.get(`branch.${branch}.remote`) ?? "origin";
  const remoteBranch = (config.get(`branch.${branch}.merge`) ?? branch).replace(/^refs\/heads\//, "");
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
      await git(["fetch", "--quiet", "--no-recurse-submodules", remote], dir);
      const r = await gitRaw(["switch", "--quiet", branch], dir);
      if (r.code !== 0) {
        throw workError(`cannot switch ${sub.path} to its tracked branch ${branch}: ${said(r.stderr)}`, {
          hint: `check the branch of ${sub.path} in .gitmodules, or switch by hand: git -C ${at} switch BRANCH`,
        });
      }
    }
    const r = await gitRaw(["pull", "--quiet", "--no-rebase", "--ff-only", "--no-recurse-submodules", remote, remoteBranch], dir);
    if (r.code !== 0) {
      throw workError(`cannot fast-forward ${sub.path} (${branch}) to ${remote}/${remoteBranch}: ${said(r.stderr)}`, {
        hint: `merge or rebase by hand (git -C ${at} pull --rebase), then run 'dt subrepo pull' again`,
      });
    }
    const result = { path: sub.path, branch, remote, old, new: readHead(dir)?.commit ?? null, switched: plan.switchTo };
    pulled.push(result);
    onPulled?.(result);
  }
  return { root, pulled, skipped: subs.filter((s) => !s.initialised).map((s) => s.path) };
}

// ---------------------------------------------------------------- roll-forward

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

export interface RollForwardResult {
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
      throw workError(`git commit failed in ${where}: ${said(r.stderr || r.stdout)}`, {
        hint: `fix what git (or a commit hook) says, then run 'dt subrepo roll-forward' again${result.commits.length ? `; the commits already made in ${result.commits.map((c) => c.repo).join(", ")} stay` : ""}`,
      });
    }
    const head = readHead(parentAbs);
    result.commits.push({ repo: parent, commit: head?.commit ?? "", detached: head?.branch === null });
  }
  result.moves.sort((a, b) => (a.path < b.path ? -1 : 1));
  return result;
}

// ---------------------------------------------------------------- foreach

export interface ForeachResult {
  /** The exit code of the first command that failed, else 0. */
  code: number;
  ran: string[];
  failed: { path: string; code: number }[];
}

/**
 * Runs `argv` (no shell) in every initialised sub-repo, outermost first, with
 * DT_SUBREPO_PATH and DT_SUBREPO_NAME set; stdio is the command's. Stops at the first failure
 * unless `keepGoing`.
 */
export async function foreachSubRepo(o: { cwd: string; argv: string[]; keepGoing?: boolean; onStart?: (s: SubRepo) => void }): Promise<ForeachResult> {
  const root = findWorkspaceRoot(o.cwd);
  const result: ForeachResult = { code: ExitCode.ok, ran: [], failed: [] };
  for (const sub of findSubRepos(root).filter((s) => s.initialised)) {
    o.onStart?.(sub);
    let exited: Promise<number>;
    try {
      exited = Bun.spawn(o.argv, {
        cwd: absOf(root, sub.path),
        env: { ...process.env, DT_SUBREPO_PATH: sub.path, DT_SUBREPO_NAME: sub.name },
        stdio: ["inherit", "inherit", "inherit"],
      }).exited;
    } catch (cause) {
      throw envError(`cannot run '${o.argv[0]}' in ${sub.path}: not found or not executable`, {
        hint: "check the command; for shell syntax run it through a shell: dt subrepo foreach -- sh -c '...'",
        cause,
      });
    }
    const code = await exited;
    result.ran.push(sub.path);
    if (code !== 0) {
      result.failed.push({ path: sub.path, code });
      if (result.code === ExitCode.ok) result.code = code;
      if (!o.keepGoing) break;
    }
  }
  return result;
}

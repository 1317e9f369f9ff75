import { realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { usageError } from "../base/errors.ts";
import { exists, isDir, isFile, readText } from "../base/fs-util.ts";
import { publicUrl } from "../base/url.ts";
import { isRecording, MOST_NOTED_PATHS, spoilRecording } from "../base/answers.ts";
import { gitRaw } from "../git/git.ts";
import { parseGitmodules } from "../git/gitmodules.ts";
import { bytesAsText, rawPath, REPLACEMENT } from "../base/raw-names.ts";
import { indexedPathsNamed, indexEntryCount } from "../git/index-file.ts";
import { witnessRepo } from "./repo-witness.ts";

export interface SubRepo {
  /** Path relative to the workspace root, with `/` separators. */
  path: string;
  name: string;
  /** Path of the repo that declares it ("." for the root). */
  parent: string;
  url: string | null;
  /** The branch `.gitmodules` asks to track, if any. */
  trackedBranch: string | null;
  initialised: boolean;
  commit: string | null;
  /** Checked-out branch; null when HEAD is detached or the sub-repo is not initialised. */
  branch: string | null;
  dirty: boolean | null;
}

export interface RunnableDir {
  /** Path relative to the workspace root ("." for the root itself). */
  path: string;
  absPath: string;
  /** The repo (root or sub-repo path) whose files hold it. */
  repo: string;
}

export interface Workspace {
  root: string;
  subRepos: SubRepo[];
  runnableDirs: RunnableDir[];
  /**
   * Paths (from the root) whose content in the working tree git does not vouch for: modified,
   * added, deleted, renamed and untracked (not ignored) files of every initialised repo. Only
   * from a scan that read each repo's status (`dirty`); the test-result cache takes every other
   * file's id from the index.
   */
  changedFiles?: string[];
}

const toPosix = (p: string) => (sep === "/" ? p : p.split(sep).join("/"));
export const relPath = (root: string, abs: string) => toPosix(relative(root, abs)) || ".";

/** A runnable dir is a directory with both `changelog.txt` and `devops/`: the only rule. */
export function isRunnableDir(dir: string): boolean {
  return isFile(join(dir, "changelog.txt")) && isDir(join(dir, "devops"));
}

/**
 * The outermost git root around `start`: climb while the repo found is a submodule (its `.git`
 * is a file pointing into a super-project's `modules/`), stop at the first plain repo.
 * Reads the file system only; no git process.
 */
export function findWorkspaceRoot(start: string): string {
  let dir = resolve(start);
  let root: string | undefined;
  for (;;) {
    const dotGit = join(dir, ".git");
    if (isDir(dotGit)) return realpath(dir);
    if (isFile(dotGit)) {
      root = dir;
      const pointer = readText(dotGit) ?? "";
      if (!/\/modules\//.test(pointer.replaceAll("\\", "/"))) return realpath(dir);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (root) return realpath(root);
  throw usageError(`not inside a git repository: ${start}`, {
    hint: "cd into your workspace, or create one with 'git init && dt init'",
  });
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Sub-repos at every depth, from `.gitmodules` files and each sub-repo's own git dir. */
export function findSubRepos(root: string): SubRepo[] {
  const found: SubRepo[] = [];
  // Each checkout by its real path: a sub-repo dir that is a link back to a repo already seen
  // (the root, a parent) would make the walk list it again without end.
  const seen = new Map<string, string>([[realpath(root), "."]]);
  const visit = (repoRel: string) => {
    const repoAbs = repoRel === "." ? root : join(root, repoRel);
    const file = join(repoAbs, ".gitmodules");
    const text = readText(file);
    if (text === undefined) return;
    const fileRel = relPath(root, file);
    for (const decl of parseGitmodules(text, fileRel)) {
      const path = repoRel === "." ? decl.path : `${repoRel}/${decl.path}`;
      const abs = join(root, path);
      const head = readHead(abs);
      if (head) {
        const real = realpath(abs);
        const earlier = seen.get(real);
        if (earlier !== undefined) {
          throw usageError(`submodule "${decl.name}" at ${path} is ${earlier === "." ? "the workspace root" : `the sub-repo ${earlier}`} again (${real})`, {
            where: `${fileRel}:${decl.pathLine}`,
            hint: `a sub-repo is a directory of its own: replace the link at ${path} with a checkout (dt subrepo update), or remove the [submodule "${decl.name}"] section`,
          });
        }
        seen.set(real, path);
      }
      found.push({
        path,
        name: decl.name,
        parent: repoRel,
        // For display (dt ls, dt subrepo ls): git reads .gitmodules itself when it clones.
        url: decl.url === null ? null : publicUrl(decl.url),
        trackedBranch: decl.branch,
        initialised: head !== undefined,
        commit: head?.commit ?? null,
        branch: head?.branch ?? null,
        dirty: null,
      });
      if (head) visit(path);
    }
  };
  visit(".");
  return found;
}

interface Head {
  commit: string | null;
  branch: string | null;
}

/** HEAD of the repo checked out at `dir`, read from its git dir; undefined if there is none. */
export function readHead(dir: string): Head | undefined {
  const gitDir = resolveGitDir(dir);
  if (!gitDir) return undefined;
  const head = readText(join(gitDir, "HEAD"))?.trim();
  if (!head) return undefined;
  if (!head.startsWith("ref: ")) return { commit: head, branch: null };
  const ref = head.slice(5);
  const commonDir = resolveCommonDir(gitDir);
  const commit = readText(join(gitDir, ref))?.trim() ?? readText(join(commonDir, ref))?.trim() ?? packedRef(commonDir, ref);
  return { commit: commit ?? null, branch: ref.replace(/^refs\/heads\//, "") };
}

function resolveGitDir(dir: string): string | undefined {
  const dotGit = join(dir, ".git");
  if (isDir(dotGit)) return dotGit;
  const pointer = readText(dotGit)?.trim();
  if (!pointer?.startsWith("gitdir:")) return undefined;
  const target = pointer.slice(7).trim();
  const gitDir = isAbsolute(target) ? target : resolve(dir, target);
  return isDir(gitDir) ? gitDir : undefined;
}

function resolveCommonDir(gitDir: string): string {
  const common = readText(join(gitDir, "commondir"))?.trim();
  return common ? resolve(gitDir, common) : gitDir;
}

function packedRef(gitDir: string, ref: string): string | undefined {
  const packed = readText(join(gitDir, "packed-refs"));
  if (!packed) return undefined;
  for (const line of packed.split("\n")) {
    const [sha, name] = line.split(" ");
    if (name === ref && sha) return sha;
  }
  return undefined;
}

const CHANGELOG_SPECS = ["changelog.txt", "*/changelog.txt"];

function changelogDir(file: string): string | undefined {
  if (file === "changelog.txt") return ".";
  return file.endsWith("/changelog.txt") ? file.slice(0, -"/changelog.txt".length) : undefined;
}

/** Which repos' `git status` a scan reads: every one (their changed files too), only the sub-repos' (their dirty state), or none. */
export type StatusScope = "all" | "sub-repos" | "none";

/**
 * Runnable dirs and the dirty state of sub-repos, with one git process per repo (root and each
 * initialised sub-repo, in parallel: on two cores faster than one `git status` at the root,
 * which walks the sub-repos one after the other). A repo whose status is wanted runs `git
 * status`, which gives its untracked changelog.txt files, its dirty state and its changed files
 * in one walk; its tracked changelogs come from its index file, read while git runs. Any other
 * repo runs `git ls-files --cached --others`, which gives tracked and untracked changelogs
 * without the stat of every tracked file a status costs (half the time of a status on a
 * 2,000-file repo). A `changelog.txt` counts when its dir also has `devops/`.
 */
async function scanRepos(root: string, subRepos: SubRepo[], scope: StatusScope): Promise<{ dirs: RunnableDir[]; changed: string[] | undefined }> {
  const found = new Set<string>();
  let changed: string[] | undefined = scope === "all" ? [] : undefined;
  const addAll = (prefix: string, nulSeparated: string) => {
    for (const f of nulSeparated.split("\0")) if (f) found.add(prefix + f);
  };
  const repos = [".", ...subRepos.filter((s) => s.initialised).map((s) => s.path)];
  // Each repo's git dir, looked up once, and only for the repos that need it.
  const gitDirs = new Map<string, string | undefined>();
  const gitDirOf = (repo: string) => {
    if (!gitDirs.has(repo)) gitDirs.set(repo, resolveGitDir(repo === "." ? root : join(root, repo)));
    return gitDirs.get(repo);
  };
  // A remembered answer (dt ls) rests on what each repo's witness writes down of what git read:
  // a recorded run asks every repo for its status with what it ignores (the directories the
  // witness need not walk), in the one git process a repo costs anyway.
  const witnessed = isRecording() && witnessFits(repos.map((repo) => [repo, gitDirOf(repo)]));
  await Promise.all(
    repos.map(async (repo) => {
      const cwd = repo === "." ? root : join(root, repo);
      const prefix = repo === "." ? "" : `${repo}/`;
      const wantStatus = !(scope === "none" || (scope === "sub-repos" && repo === "."));
      if (!wantStatus && !witnessed) {
        addAll(prefix, (await gitRaw(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ...CHANGELOG_SPECS], cwd)).stdout);
        return;
      }
      const status = gitRaw(["status", "--porcelain", "-z", "--ignore-submodules=all", "--untracked-files=all", ...(witnessed ? ["--ignored=matching"] : [])], cwd, { witnessed });
      const gitDir = gitDirOf(repo);
      const tracked = indexedChangelogs(gitDir);
      if (tracked) for (const f of tracked) found.add(prefix + f);
      else addAll(prefix, (await gitRaw(["ls-files", "-z", "--cached", "--", ...CHANGELOG_SPECS], cwd, { witnessed })).stdout);
      const r = await status;
      const ignored: string[] = [];
      const changes: string[] = [];
      const entries = r.stdout.split("\0");
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (!entry) continue;
        if (entry.startsWith("!! ")) {
          ignored.push(entry.slice(3));
          continue;
        }
        if (entry.startsWith("?? ")) found.add(prefix + entry.slice(3));
        changes.push(prefix + entry.slice(3));
        // A rename or copy is followed by the path it came from.
        if (entry[0] === "R" || entry[0] === "C") changes.push(prefix + (entries[++i] ?? ""));
      }
      if (wantStatus) {
        const sub = subRepos.find((s) => s.path === repo);
        if (sub) sub.dirty = r.code === 0 ? changes.length > 0 : null;
        // One repo without a status: no list of changes can be trusted.
        if (r.code !== 0) changed = undefined;
        for (const c of changes) changed?.push(c);
      }
      if (witnessed) {
        if (r.code !== 0 || !gitDir) spoilRecording();
        else await witnessRepo({ repoDir: cwd, gitDir, commonDir: resolveCommonDir(gitDir), ignored, nested: nestedRepos(root, repo, subRepos), trackedFiles: wantStatus });
      }
    }),
  );
  return { dirs: runnableDirsOf(root, found, subRepos), changed };
}

/**
 * Whether the witnesses of these repos would note few enough paths to be worth an answer: each
 * sub-repo's tracked files, and the root's directories (taken as one per 8 tracked files). A
 * bigger workspace is not recorded at all, so its run costs no more than one that keeps nothing.
 */
function witnessFits(gitDirs: readonly [repo: string, gitDir: string | undefined][]): boolean {
  let paths = 0;
  for (const [repo, gitDir] of gitDirs) {
    const count = gitDir ? indexEntryCount(join(gitDir, "index")) : undefined;
    if (count === undefined) return false;
    paths += repo === "." ? count / 8 : count;
  }
  if (paths <= MOST_NOTED_PATHS) return true;
  spoilRecording();
  return false;
}

/** The absolute paths of the sub-repos inside `repo` (the root: "."), which its own walk leaves to them. */
function nestedRepos(root: string, repo: string, subRepos: readonly SubRepo[]): string[] {
  return subRepos.filter((s) => s.path !== repo && (repo === "." || s.path.startsWith(`${repo}/`))).map((s) => join(root, s.path));
}

/** The dirs of `found` changelogs that also have devops/, sorted, the root first. */
function runnableDirsOf(root: string, found: ReadonlySet<string>, subRepos: readonly SubRepo[]): RunnableDir[] {
  const dirs: RunnableDir[] = [];
  for (const file of found) {
    const path = changelogDir(file);
    if (path === undefined) continue;
    if (path.includes(REPLACEMENT)) refuseNonUtf8Dir(root, path);
    const absPath = path === "." ? root : join(root, path);
    if (isDir(join(absPath, "devops"))) dirs.push({ path, absPath, repo: owningRepo(path, subRepos) });
  }
  return dirs.sort((a, b) => (a.path === "." ? -1 : b.path === "." ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * git prints the path of a runnable dir whose name is not UTF-8 with its bytes as they are,
 * which dt reads with U+FFFD in their place: a dir that is not there, so it used to vanish from
 * every listing. dt names images, tags and mounts after the path: it needs a name it can write.
 */
function refuseNonUtf8Dir(root: string, lossy: string): void {
  const raw = rawPath(root, lossy);
  if (!raw) return;
  let runnable = false;
  try {
    runnable = statSync(Buffer.concat([raw, Buffer.from("/devops")])).isDirectory();
  } catch {
    return;
  }
  if (!runnable) return;
  throw usageError(`the runnable dir ${bytesAsText(raw.subarray(Buffer.byteLength(root) + 1))} has a name that is not valid UTF-8`, {
    hint: "rename it to UTF-8 (e.g. convmv -f latin1 -t utf-8): dt names its image, tags and container paths after it",
  });
}

/**
 * The tracked changelog.txt files of the repo whose git dir is `gitDir`, read from its index
 * file (what `git ls-files --cached` reads); undefined when it is an index dt does not read, or
 * GIT_INDEX_FILE points elsewhere: git answers then.
 */
function indexedChangelogs(gitDir: string | undefined): string[] | undefined {
  if (process.env.GIT_INDEX_FILE) return undefined;
  return (gitDir && indexedPathsNamed(join(gitDir, "index"), "changelog.txt")) || undefined;
}

/** Runnable dirs of the whole workspace (see scanRepos). */
export async function findRunnableDirs(root: string, subRepos: SubRepo[]): Promise<RunnableDir[]> {
  return (await scanRepos(root, subRepos, "none")).dirs;
}

/**
 * The workspace around `start`. `status` says whose `git status` to read: "all" (the default)
 * gives every sub-repo's dirty state and `changedFiles`; "sub-repos" only their dirty state
 * (`dt ls`); "none" neither (`dirty` stays null).
 */
export async function scanWorkspace(start: string, options: { status?: StatusScope } = {}): Promise<Workspace> {
  const root = findWorkspaceRoot(start);
  const subRepos = findSubRepos(root);
  const { dirs: runnableDirs, changed } = await scanRepos(root, subRepos, options.status ?? "all");
  return changed ? { root, subRepos, runnableDirs, changedFiles: changed } : { root, subRepos, runnableDirs };
}

/** The checkout (the root or a sub-repo's dir) whose files hold `absPath`: the nearest `.git` up to the root. */
export function repoDirOf(root: string, absPath: string): string {
  for (let dir = absPath; dir !== root && dir.startsWith(`${root}/`); dir = dirname(dir)) {
    if (exists(join(dir, ".git"))) return dir;
  }
  return root;
}

/** The repo (root "." or a sub-repo path) that owns a workspace-relative path. */
export function owningRepo(path: string, subRepos: readonly SubRepo[]): string {
  let best = ".";
  for (const s of subRepos) {
    if ((path === s.path || path.startsWith(`${s.path}/`)) && s.path.length > best.length) best = s.path;
  }
  return best;
}

export interface TargetDir {
  root: string;
  path: string;
  absPath: string;
}

/**
 * The runnable dir a command acts on: `--dir` if given, else the innermost runnable dir around
 * `cwd`. Only the error path scans the workspace, to list what the user could have meant.
 */
export async function resolveTargetDir(cwd: string, dirArg?: string, root = findWorkspaceRoot(cwd)): Promise<TargetDir> {
  if (dirArg !== undefined) {
    const abs = realpath(resolve(cwd, dirArg));
    const rel = relative(root, abs);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw usageError(`--dir ${dirArg} is outside the workspace ${root}`, {
        hint: "give a runnable dir of this workspace (see 'dt ls')",
      });
    }
    if (!isRunnableDir(abs)) {
      throw usageError(`--dir ${dirArg} is not a runnable dir (it needs changelog.txt and devops/)`, {
        hint: await runnableHint(root),
      });
    }
    return { root, path: relPath(root, abs), absPath: abs };
  }
  for (let dir = realpath(resolve(cwd)); ; dir = dirname(dir)) {
    if (isRunnableDir(dir)) return { root, path: relPath(root, dir), absPath: dir };
    if (dir === root || dirname(dir) === dir) break;
  }
  throw usageError(`no runnable dir here: ${cwd} is not inside a directory with changelog.txt and devops/`, {
    hint: await runnableHint(root),
  });
}

async function runnableHint(root: string): Promise<string> {
  const dirs = await findRunnableDirs(root, findSubRepos(root));
  if (dirs.length === 0) return "this workspace has no runnable dir yet; make one with 'dt init'";
  return `use --dir with one of: ${dirs.map((d) => d.path).join(", ")}`;
}

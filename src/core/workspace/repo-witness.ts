// What git says about a repo, written down so that a remembered answer of `dt ls` (base/answers.ts)
// can be checked with stats instead of git: the runnable dirs come from the repo's index (its
// tracked changelogs) and from the directories git walks (its untracked ones), a sub-repo's dirty
// state from those and from each tracked file. Recorded only while an answer is being recorded,
// from the scan's own `git status --ignored=matching` (which directories git does not walk), the
// index file (which files it tracks) and the config files (git is asked which other files count
// only when one names any); checked by answers.ts alone.
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { isRecording, MOST_NOTED_PATHS, noteMtime, noteGitVariables, noteRead, spoilRecording } from "../base/answers.ts";
import { gitRaw } from "../git/git.ts";
import { GITLINK_MODE, indexedPaths } from "../git/index-file.ts";

/** The git config and ignore files git may read besides those `git config --list` names (a file created later counts too). */
function userGitFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME;
  const xdg = env.XDG_CONFIG_HOME || (home ? join(home, ".config") : undefined);
  const files = [env.GIT_CONFIG_GLOBAL, env.GIT_CONFIG_SYSTEM, home && join(home, ".gitconfig"), xdg && join(xdg, "git", "config"), xdg && join(xdg, "git", "ignore"), xdg && join(xdg, "git", "attributes"), "/etc/gitconfig"];
  return files.filter((f): f is string => Boolean(f) && f !== "/dev/null");
}

/** The config files `git config --list --show-origin -z` read, and core.excludesFile if set. */
function configFiles(repoDir: string, listing: string, home: string | undefined): string[] {
  const files: string[] = [];
  const fields = listing.split("\0");
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const origin = fields[i]!;
    const entry = fields[i + 1]!;
    if (origin.startsWith("file:")) {
      const file = origin.slice("file:".length);
      files.push(isAbsolute(file) ? file : join(repoDir, file));
    }
    const nl = entry.indexOf("\n");
    if (nl > 0 && entry.slice(0, nl).toLowerCase() === "core.excludesfile") {
      const value = entry.slice(nl + 1);
      files.push(value.startsWith("~/") && home ? join(home, value.slice(2)) : isAbsolute(value) ? value : join(repoDir, value));
    }
  }
  return files;
}

/** Whether a config file names another file git reads (an include, an excludes file): only then is git asked which. */
function namesOtherFiles(file: string): boolean {
  try {
    return /^\s*\[\s*include|^\s*excludesfile\s*=/im.test(readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/** The ref file HEAD names (`ref: refs/heads/x`), if any. */
function headRef(gitDir: string): string | undefined {
  try {
    return /^ref: (\S+)/.exec(readFileSync(join(gitDir, "HEAD"), "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** What a scan of the repo learnt from git that the witness needs: the directories it ignores (`git status --ignored=matching`). */
export interface RepoScan {
  repoDir: string;
  gitDir: string;
  commonDir: string;
  /** Paths git reported as ignored, from the repo's top; a directory ends with `/`. */
  ignored: readonly string[];
  /** The other repos inside this one (absolute), whose own directories are theirs. */
  nested: readonly string[];
  /** The answer holds the repo's dirty state: each tracked file counts. */
  trackedFiles: boolean;
}

/**
 * Writes down, into the recording under way, what git's answer about a repo depends on: its git
 * dir's index and HEAD, the refs, excludes and config of its common dir; the user's git files;
 * every directory git walks with each .gitignore and .gitattributes; with `trackedFiles` each
 * tracked file too. Anything that cannot be written down spoils the recording.
 */
export async function witnessRepo(scan: RepoScan): Promise<void> {
  if (!isRecording()) return;
  const { repoDir, gitDir, commonDir } = scan;
  noteGitVariables();
  const env = process.env;
  // Which git answers is PATH's to say (read through the recording, so it is in the answer).
  void env.PATH;

  // A linked worktree has its own index and HEAD, and shares refs, config and excludes (commondir).
  for (const name of ["index", "HEAD", "commondir"]) noteRead(join(gitDir, name));
  for (const name of ["packed-refs", "config", "info/exclude", "info/attributes"]) noteRead(join(commonDir, name));
  const ref = headRef(gitDir);
  if (ref) noteRead(join(commonDir, ref));
  const configs = [join(commonDir, "config"), ...userGitFiles(env)];
  for (const file of configs) noteRead(file);
  if (configs.some(namesOtherFiles)) {
    const listing = await gitRaw(["config", "-z", "--list", "--show-origin"], repoDir, { witnessed: true });
    // `git config --list` exits 1 when no config file has anything.
    if (listing.code !== 0 && listing.stdout !== "") return spoilRecording();
    for (const file of configFiles(repoDir, listing.stdout, env.HOME)) noteRead(file);
  }

  try {
    walk(repoDir, "", new Set(scan.ignored.filter((p) => p.endsWith("/"))), new Set(scan.nested));
  } catch {
    return spoilRecording();
  }
  if (scan.trackedFiles) {
    const tracked = indexedPaths(join(gitDir, "index"), (_path, mode) => mode !== GITLINK_MODE) ?? (await trackedByGit(repoDir));
    if (!tracked || tracked.length > MOST_NOTED_PATHS) return spoilRecording();
    // A gitlink is a nested repo: --ignore-submodules=all leaves it out of the status.
    for (const path of tracked) noteMtime(join(repoDir, path));
  }
}

/** The tracked files, gitlinks left out, from git itself (an index dt does not read). */
async function trackedByGit(repoDir: string): Promise<string[] | undefined> {
  const r = await gitRaw(["ls-files", "-z", "--stage"], repoDir, { witnessed: true });
  if (r.code !== 0) return undefined;
  return r.stdout
    .split("\0")
    .filter((line) => line.includes("\t") && !line.startsWith("160000 "))
    .map((line) => line.slice(line.indexOf("\t") + 1));
}

/** Notes each directory under `rel` that git walks: not .git, not an ignored one, not inside another repo. */
function walk(repoDir: string, rel: string, ignored: ReadonlySet<string>, others: ReadonlySet<string>): void {
  const abs = rel ? join(repoDir, rel) : repoDir;
  noteMtime(abs);
  // Too many paths to be worth an answer (answers.ts: MOST_NOTED_PATHS): the recording is spoilt.
  if (!isRecording()) return;
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (!entry.isDirectory()) {
      if (entry.name === ".gitignore" || entry.name === ".gitattributes") noteRead(join(abs, entry.name));
      continue;
    }
    const sub = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.name === ".git" || ignored.has(`${sub}/`)) continue;
    // Another repo's directory: whether it gains a .git (is initialised) shows in its own mtime.
    if (others.has(join(repoDir, sub))) noteMtime(join(repoDir, sub));
    else walk(repoDir, sub, ignored, others);
  }
}

// What git says about a repo, written down so that a remembered answer of `dt ls` (base/answers.ts)
// can be checked with stats instead of git: the runnable dirs come from the repo's index (its
// tracked changelogs) and from the directories git walks (its untracked ones), a sub-repo's dirty
// state from those and from each tracked file. Recorded only while an answer is being recorded,
// with git's help (which directories are ignored, which config files count); checked by
// answers.ts alone.
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { isRecording, noteMtime, noteGitVariables, noteRead, spoilRecording } from "../base/answers.ts";
import { gitRaw } from "../git/git.ts";

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

/** The ref file HEAD names (`ref: refs/heads/x`), if any. */
function headRef(gitDir: string): string | undefined {
  try {
    return /^ref: (\S+)/.exec(readFileSync(join(gitDir, "HEAD"), "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Writes down, into the recording under way, what git's answer about the repo at `repoDir`
 * depends on: its git dir's index and HEAD, the refs, excludes and config of its common dir; the user's git files; every
 * directory git walks (`nested`: the other repos inside, whose own directories are theirs) with
 * each .gitignore and .gitattributes; with `trackedFiles` (a status: the dirty state) each
 * tracked file too. Anything that cannot be written down spoils the recording.
 */
export async function witnessRepo(
  repoDir: string,
  dirs: { gitDir: string; commonDir: string } | undefined,
  nested: readonly string[],
  trackedFiles: boolean,
): Promise<void> {
  if (!isRecording()) return;
  if (!dirs) return spoilRecording();
  const { gitDir, commonDir } = dirs;
  noteGitVariables();
  const env = process.env;
  // Which git answers is PATH's to say (read through the recording, so it is in the answer).
  void env.PATH;
  const [ignored, config, tracked] = await Promise.all([
    gitRaw(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], repoDir, { witnessed: true }),
    gitRaw(["config", "-z", "--list", "--show-origin"], repoDir, { witnessed: true }),
    trackedFiles ? gitRaw(["ls-files", "-z", "--stage"], repoDir, { witnessed: true }) : undefined,
  ]);
  // `git config --list` exits 1 when no config file has anything.
  if (ignored.code !== 0 || (config.code !== 0 && config.stdout !== "") || (tracked && tracked.code !== 0)) return spoilRecording();

  // A linked worktree has its own index and HEAD, and shares refs, config and excludes (commondir).
  for (const name of ["index", "HEAD", "commondir"]) noteRead(join(gitDir, name));
  for (const name of ["packed-refs", "config", "info/exclude", "info/attributes"]) noteRead(join(commonDir, name));
  const ref = headRef(gitDir);
  if (ref) noteRead(join(commonDir, ref));
  for (const file of [...userGitFiles(env), ...configFiles(repoDir, config.stdout, env.HOME)]) noteRead(file);

  const skipped = new Set(ignored.stdout.split("\0").filter((p) => p.endsWith("/")));
  const others = new Set(nested);
  try {
    walk(repoDir, "", skipped, others);
  } catch {
    return spoilRecording();
  }
  if (tracked) {
    for (const line of tracked.stdout.split("\0")) {
      const tab = line.indexOf("\t");
      // A gitlink (mode 160000) is a nested repo: --ignore-submodules=all leaves it out of the status.
      if (tab > 0 && !line.startsWith("160000 ")) noteMtime(join(repoDir, line.slice(tab + 1)));
    }
  }
}

/** Notes each directory under `rel` that git walks: not .git, not an ignored one, not inside another repo. */
function walk(repoDir: string, rel: string, ignored: ReadonlySet<string>, others: ReadonlySet<string>): void {
  const abs = rel ? join(repoDir, rel) : repoDir;
  noteMtime(abs);
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

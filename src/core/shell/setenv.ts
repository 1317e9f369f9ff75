// The workspace's shell environment: what `dt setenv` prints for a shell to evaluate, and what
// `dt run` gives its steps. It runs at every shell start, so it reads the file system only: no
// git process, no engine, no scan of the tree (one stat per configured entry and repo).
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { noteParentName } from "../base/answers.ts";
import { isDtError } from "../base/errors.ts";
import { isDir, readText } from "../base/fs-util.ts";
import { throughCache } from "../base/stamp-cache.ts";
import { floating, imageRef, tagUser, workspaceKey, type Stage } from "../workspace/image-ref.ts";
import { configuredDirs } from "../run/run-env.ts";
import { findSubRepos, findWorkspaceRoot, isRunnableDir, relPath, type SubRepo } from "../workspace/workspace.ts";
import { OLDER_CONFIG_FILES } from "../config/older-config-files.ts";

export const SHELLS = ["bash", "zsh", "fish", "sh"] as const;
export type Shell = (typeof SHELLS)[number];

const SHELL_NAMES: Record<string, Shell> = { bash: "bash", zsh: "zsh", fish: "fish", sh: "sh", dash: "sh", ash: "sh", ksh: "sh", mksh: "sh" };

/**
 * The shell that will read the code: the one that started dt (its parent process, where /proc
 * tells), else $SHELL's, else bash. The parent wins because a bash started from a zsh login
 * still has SHELL=zsh, and zsh's completion code is not bash's.
 */
export function defaultShell(env: Record<string, string | undefined> = process.env, parent?: string): Shell {
  for (const name of [parent, basename(env.SHELL ?? "")]) {
    const shell = name ? SHELL_NAMES[name.replace(/^-/, "")] : undefined;
    if (shell) return shell;
  }
  return "bash";
}

/** The command name of dt's parent process, where /proc tells (Linux). */
export function parentName(): string | undefined {
  const name = process.platform === "linux" ? readText(`/proc/${process.ppid}/comm`)?.trim() : undefined;
  if (name !== undefined) noteParentName(name);
  return name;
}

export interface WorkspaceEnv {
  root: string;
  /** Absolute path of the innermost runnable dir around the current dir; "" when there is none. */
  targetDir: string;
  /** DT_IMAGE, DT_VERSION, DT_STAGE of the target dir; absent without one. */
  image?: { name: string; version: string; stage: Stage };
  /** Dirs for PATH and PYTHONPATH, in order, as absolute paths that exist. */
  path: string[];
  pythonpath: string[];
}

export interface WorkspaceEnvOptions {
  /**
   * Inside a container: the workspace is where DT_WORKSPACE says (as mounted), and the DT_*
   * values dt passed to the container win over values computed here.
   */
  inside?: boolean;
  env?: Record<string, string | undefined>;
}

const realpath = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return !rel.startsWith("..") && !isAbsolute(rel);
};

/** The innermost runnable dir from `start` up to `root`, or "" if there is none. */
function innermostRunnable(root: string, start: string): string {
  if (!within(root, start)) return "";
  for (let dir = start; ; dir = dirname(dir)) {
    if (isRunnableDir(dir)) return dir;
    if (dir === root || dirname(dir) === dir) return "";
  }
}

function workspaceRoot(cwd: string, options: WorkspaceEnvOptions, env: Record<string, string | undefined>): string | undefined {
  if (options.inside && env.DT_WORKSPACE && isAbsolute(env.DT_WORKSPACE) && isDir(env.DT_WORKSPACE)) return realpath(env.DT_WORKSPACE);
  try {
    return findWorkspaceRoot(cwd);
  } catch (e) {
    if (isDtError(e)) return undefined;
    throw e;
  }
}

/** What setenv needs from dt.yaml and changelog.txt; cached, as parsing YAML cold costs more than the rest of setenv. */
interface Facts {
  registry: string | null;
  image: string;
  path: string[];
  pythonpath: string[];
  /** The target dir's changelog version; absent without a target dir. */
  version?: string;
}

/**
 * Cached per (workspace, target dir) under $XDG_CACHE_HOME/dt/setenv, valid while every input is
 * unchanged: the dt.yaml files, the older config files of every repo (repo_config.yaml and .py),
 * the root's .git/config (its origin names the workspace), the changelog, DT_REGISTRY and the dt
 * binary. A miss parses the files as every command does, so an invalid file is reported the
 * usual way and never cached.
 */
function targetFacts(root: string, rel: string, subRepos: readonly SubRepo[], env: Record<string, string | undefined>): Promise<Facts> {
  const repos = [root, ...subRepos.map((s) => join(root, s.path))];
  const inputs = [join(root, "dt.yaml"), join(root, ".git", "config"), ...repos.flatMap((r) => OLDER_CONFIG_FILES.map((f) => join(r, f)))];
  if (rel !== ".") inputs.push(join(root, rel, "dt.yaml"));
  if (rel !== "." || isRunnableDir(root)) inputs.push(join(root, rel, "changelog.txt"));
  return throughCache({ kind: "setenv", id: `${root}\0${rel}`, inputs, extra: [env.DT_REGISTRY ?? ""], env }, () => readFacts(root, rel, env));
}

async function readFacts(root: string, rel: string, env: Record<string, string | undefined>): Promise<Facts> {
  const { loadConfig } = await import("../config/config.ts");
  const { config } = loadConfig(root, rel, env);
  const facts: Facts = { registry: config.registry, image: config.image, path: config.setenv.path, pythonpath: config.setenv.pythonpath };
  const absPath = rel === "." ? root : join(root, rel);
  if (isRunnableDir(absPath)) {
    const { currentVersion } = await import("../version/changelog.ts");
    const { readChangelog } = await import("../version/changelog-file.ts");
    facts.version = currentVersion(readChangelog({ path: rel, absPath }));
  }
  return facts;
}

/**
 * The environment of the workspace around `cwd`, or undefined outside any workspace. An invalid
 * dt.yaml or changelog.txt throws the usual usage error (path:line and the fix).
 */
export async function workspaceEnv(cwd: string, options: WorkspaceEnvOptions = {}): Promise<WorkspaceEnv | undefined> {
  const env = options.env ?? process.env;
  const root = workspaceRoot(cwd, options, env);
  if (root === undefined) return undefined;
  const here = realpath(resolve(cwd));
  let targetDir = innermostRunnable(root, here);
  if (!targetDir && options.inside && !within(root, here)) targetDir = env.DT_TARGET_DIR ?? "";
  const rel = targetDir && within(root, targetDir) && isRunnableDir(targetDir) ? relPath(root, targetDir) : ".";
  const subRepos = findSubRepos(root);
  const facts = await targetFacts(root, rel, subRepos, env);
  // A dir with ':' cannot be written into PATH or PYTHONPATH; it is left out.
  const dirs = (entries: readonly string[]) => configuredDirs(root, subRepos, entries).filter((d) => !d.includes(":"));
  // The target dir leads PYTHONPATH, as the older toolchain's setenv has it.
  const pythonpath = [...new Set([...(targetDir && !targetDir.includes(":") ? [targetDir] : []), ...dirs(facts.pythonpath)])];
  const out: WorkspaceEnv = { root, targetDir, path: dirs(facts.path), pythonpath };
  if (targetDir && facts.version !== undefined) {
    const login = env.USER || env.LOGNAME;
    const user = login ? tagUser(login) : undefined;
    const ref = imageRef({ registry: facts.registry, image: facts.image, stage: "local", version: facts.version, user, key: workspaceKey(root) });
    out.image = { name: floating(ref), version: facts.version, stage: "local" };
  }
  if (targetDir && options.inside && env.DT_IMAGE) {
    out.image = { name: env.DT_IMAGE, version: env.DT_VERSION || facts.version || "", stage: (env.DT_STAGE as Stage) || "local" };
  }
  return out;
}

/** The DT_* variables of a workspace; the image ones are null when there is no target dir. */
function dtVars(ws: WorkspaceEnv): Record<string, string | null> {
  return {
    DT_WORKSPACE: ws.root,
    DT_TARGET_DIR: ws.targetDir,
    DT_IMAGE: ws.image?.name ?? null,
    DT_VERSION: ws.image?.version ?? null,
    DT_STAGE: ws.image?.stage ?? null,
  };
}

/** `dirs` prepended to a colon list, each only if it is not there yet; order kept. */
export function prependMissing(list: string | undefined, dirs: readonly string[]): string {
  const have = list ? list.split(":") : [];
  const add = dirs.filter((d, i) => !have.includes(d) && dirs.indexOf(d) === i);
  return [...add, ...have].join(":");
}

/** A process environment with the workspace's variables applied (what `dt run` gives its steps). */
export function applyWorkspaceEnv(base: Record<string, string | undefined>, ws: WorkspaceEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(dtVars(ws))) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  if (ws.path.length) out.PATH = prependMissing(out.PATH, ws.path);
  if (ws.pythonpath.length) out.PYTHONPATH = prependMissing(out.PYTHONPATH, ws.pythonpath);
  return out;
}

// ---------------------------------------------------------------- shell code

/** A word for sh, bash and zsh: single quotes, each `'` written as `'\''`. */
export const quoteSh = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** A word for fish: single quotes, where only `\` and `'` are escaped. */
export const quoteFish = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** Always-quoted sh word, for case patterns (a quoted pattern matches literally). */
const literalSh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function posixLines(ws: WorkspaceEnv): string[] {
  const lines: string[] = [];
  const unset: string[] = [];
  for (const [k, v] of Object.entries(dtVars(ws))) {
    if (v === null) unset.push(k);
    else lines.push(`export ${k}=${literalSh(v)}`);
  }
  if (unset.length) lines.push(`unset ${unset.join(" ")}`);
  const prepend = (name: string, dirs: readonly string[]) => {
    // Prepending in reverse leaves the configured order at the front; each one only if missing.
    for (const dir of [...dirs].reverse()) {
      const q = literalSh(dir);
      lines.push(`case ":\${${name}:-}:" in *:${q}:*) ;; *) ${name}=${q}"\${${name}:+:\$${name}}" ;; esac`);
    }
    if (dirs.length) lines.push(`export ${name}`);
  };
  prepend("PATH", ws.path);
  prepend("PYTHONPATH", ws.pythonpath);
  return lines;
}

function fishLines(ws: WorkspaceEnv): string[] {
  const lines: string[] = [];
  const unset: string[] = [];
  for (const [k, v] of Object.entries(dtVars(ws))) {
    if (v === null) unset.push(k);
    else lines.push(`set -gx ${k} ${quoteFish(v)}`);
  }
  if (unset.length) lines.push(`set -e ${unset.join(" ")}`);
  // fish keeps any variable whose name ends in PATH as a list, joined with ':' when exported.
  const prepend = (name: string, dirs: readonly string[]) => {
    for (const dir of [...dirs].reverse()) {
      const q = quoteFish(dir);
      lines.push(`contains -- ${q} $${name}; or set -gx ${name} ${q} $${name}`);
    }
  };
  prepend("PATH", ws.path);
  prepend("PYTHONPATH", ws.pythonpath);
  return lines;
}

/** A comment line in every shell dt speaks. */
const comment = (text: string) => `# ${text.replace(/[\r\n]+/g, " ")}`;

/**
 * The code `eval "$(dt setenv)"` (fish: `dt setenv --shell fish | source`) runs. Evaluating it
 * twice changes nothing the second time: variables are set to the same values and each dir is
 * added to PATH/PYTHONPATH only when missing, checked at eval time. It never removes an entry.
 */
export function renderSetenv(shell: Shell, ws: WorkspaceEnv | undefined, options: { cwd: string; completion?: string }): string {
  const lines: string[] = [];
  if (ws === undefined) lines.push(comment(`dt setenv: ${options.cwd} is not inside a git workspace; nothing to set`));
  else lines.push(...(shell === "fish" ? fishLines(ws) : posixLines(ws)));
  if (options.completion) lines.push(options.completion.trimEnd());
  return `${lines.join("\n")}\n`;
}

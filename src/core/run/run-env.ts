import { join, relative } from "node:path";
import type { DtConfig } from "../config/config.ts";
import { globDirs, isGlob } from "../base/dir-glob.ts";
import { isDir } from "../base/fs-util.ts";
import { envError } from "../base/errors.ts";
import { homeDir } from "../base/home.ts";
import type { Stage } from "../workspace/image-ref.ts";
import type { SubRepo } from "../workspace/workspace.ts";

/** Where the workspace appears inside the container. */
export const containerRoot = (root: string, mount: string) => (mount === "same-path" ? root : mount);

/** A host path of the workspace translated to its path inside the container. */
export function toContainerPath(root: string, mount: string, hostPath: string): string {
  const rel = relative(root, hostPath);
  if (rel.startsWith("..")) return containerRoot(root, mount);
  const base = containerRoot(root, mount);
  return rel ? join(base, rel) : base;
}

/** Shell-style glob (only `*` and `?`) for env variable names. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Host variables named by `docker.env` (globs allowed), passed through to the container. */
export function passThroughEnv(patterns: readonly string[], env: Record<string, string | undefined> = process.env): Record<string, string> {
  const regexps = patterns.map(globToRegExp);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && regexps.some((r) => r.test(name))) out[name] = value;
  }
  return out;
}

/**
 * Dirs of `setenv.<kind>` for the workspace root and each initialised sub-repo, as host paths;
 * only those that exist. A plain entry is one stat per repo; a glob (`dev_scripts*\/**`) walks
 * only the dirs its pattern can reach.
 */
export function configuredDirs(root: string, subRepos: readonly SubRepo[], entries: readonly string[]): string[] {
  const repos = [root, ...subRepos.filter((s) => s.initialised).map((s) => join(root, s.path))];
  const out: string[] = [];
  for (const repo of repos) {
    for (const entry of entries) {
      const dirs = isGlob(entry) ? globDirs(repo, entry) : [entry === "." ? repo : join(repo, entry)].filter(isDir);
      for (const dir of dirs) if (!out.includes(dir)) out.push(dir);
    }
  }
  return out;
}

/** The entries of `setenv.<kind>` that match a dir in no repo: a typo, or a dir that went away. */
export function unmatchedEntries(root: string, subRepos: readonly SubRepo[], entries: readonly string[]): string[] {
  return entries.filter((entry) => configuredDirs(root, subRepos, [entry]).length === 0);
}

export interface DtVariables {
  root: string;
  targetDir: string;
  image: string;
  version: string;
  stage: Stage;
}

function dtVariables(v: DtVariables, mount: string): Record<string, string> {
  return {
    DT_WORKSPACE: containerRoot(v.root, mount),
    DT_TARGET_DIR: toContainerPath(v.root, mount, v.targetDir),
    DT_IMAGE: v.image,
    DT_VERSION: v.version,
    DT_STAGE: v.stage,
  };
}

/** Expands `~` in a volume spec's host part, the way a shell would. */
export function expandVolume(spec: string): string {
  if (!spec.startsWith("~/")) return spec;
  const home = homeDir();
  if (home === undefined) {
    throw envError(`docker.volumes entry ${spec} starts with ~, and this user has no home directory (HOME is unset, and uid ${process.getuid?.()} has no passwd entry)`, {
      hint: "set HOME, or write the host path out in docker.volumes",
    });
  }
  return join(home, spec.slice(2));
}

export function containerEnv(options: {
  vars: DtVariables;
  config: DtConfig;
  subRepos: readonly SubRepo[];
  env?: Record<string, string | undefined>;
}): Record<string, string> {
  const { vars, config } = options;
  const mount = config.docker.mount;
  // The target dir first, as the older toolchain's setenv has it: its own modules import by name.
  const pythonpath = [vars.targetDir, ...configuredDirs(vars.root, options.subRepos, config.setenv.pythonpath)]
    .filter((d, i, all) => all.indexOf(d) === i)
    .map((d) => toContainerPath(vars.root, mount, d));
  const path = configuredDirs(vars.root, options.subRepos, config.setenv.path).map((d) => toContainerPath(vars.root, mount, d));
  const env: Record<string, string> = {
    ...passThroughEnv(config.docker.env, options.env),
    ...dtVariables(vars, mount),
  };
  if (pythonpath.length) env.DT_PYTHONPATH = pythonpath.join(":");
  if (path.length) env.DT_PATH = path.join(":");
  return env;
}

/** `512m`, `2g`, `1.5G` -> bytes (binary units, as docker run --memory). */
export function parseMemory(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

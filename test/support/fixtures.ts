// Real git workspaces in temp dirs, for tests that drive dt against the layouts it
// meets in practice: a super-repo with runnable dirs and submodules nested 3 deep.
// Git runs with an isolated config (no global/system file, identity via env), so a
// developer's ~/.gitconfig can neither break nor be touched by the tests.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TempDir {
  path: string;
  cleanup(): void;
}

// ---------------------------------------------------------------- temp dirs

const live = new Set<string>();

/** Remove every temp dir still alive; use as `afterAll(cleanupAll)`. */
export function cleanupAll(): void {
  for (const path of live) rmSync(path, { recursive: true, force: true });
  live.clear();
}

// Safety net for a test file that forgets afterAll, or dies half-way.
process.on("exit", cleanupAll);

/** Write `tree` into `dir`. A key ending in "/" makes an empty directory. */
export function writeTree(dir: string, tree: Record<string, string>): void {
  for (const [rel, content] of Object.entries(tree)) {
    const target = join(dir, rel);
    if (rel.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

/** A fresh temp dir holding `tree`; `cleanup()` removes it (so does `cleanupAll`). */
export function testdir(tree: Record<string, string> = {}): TempDir {
  // realpath: git and the engine report resolved paths; compare like with like.
  const path = realpathSync(mkdtempSync(join(tmpdir(), "dt-test-")));
  live.add(path);
  writeTree(path, tree);
  return {
    path,
    cleanup() {
      rmSync(path, { recursive: true, force: true });
      live.delete(path);
    },
  };
}

// ---------------------------------------------------------------- git

/**
 * Environment for git (and for dt under test, which runs git itself): fixed identity,
 * no global or system config, and file:// submodules allowed (git >= 2.38 refuses them
 * by default; the fixtures' submodules are all local).
 */
export function gitEnv(base: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    GIT_AUTHOR_NAME: "dt test",
    GIT_AUTHOR_EMAIL: "dt-test@example.invalid",
    GIT_COMMITTER_NAME: "dt test",
    GIT_COMMITTER_EMAIL: "dt-test@example.invalid",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "protocol.file.allow",
    GIT_CONFIG_VALUE_0: "always",
    GIT_TERMINAL_PROMPT: "0",
  };
}

/** Run git in `cwd`; returns trimmed stdout, throws with git's stderr on failure. */
export function git(cwd: string, args: string[]): string {
  const argv = ["git", "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", ...args];
  const r = Bun.spawnSync(argv, { cwd, env: gitEnv(), stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`${argv.join(" ")} (in ${cwd}) failed with ${r.exitCode}:\n${r.stderr.toString()}`);
  }
  return r.stdout.toString().trim();
}

/** `git init` `dir`, write `files` into it and commit them all. Returns `dir`. */
export function makeRepo(dir: string, files: Record<string, string>, message = "Initial"): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ["init", "-q"]);
  writeTree(dir, files);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "--allow-empty", "-m", message]);
  return dir;
}

/** Add `upstreamDir` as a real submodule of `superDir` at `path` (file:// URL) and commit. */
export function addSubmodule(superDir: string, upstreamDir: string, path: string): string {
  const url = `file://${upstreamDir}`;
  git(superDir, ["submodule", "add", "-q", url, path]);
  git(superDir, ["commit", "-q", "-m", `Add submodule ${path}`]);
  return url;
}

// ---------------------------------------------------------------- workspaces

/** The files that make a directory runnable for dt. */
export function runnableFiles(name: string, prefix = ""): Record<string, string> {
  const p = prefix ? `${prefix.replace(/\/$/, "")}/` : "";
  return {
    [`${p}changelog.txt`]: `# ${name}-0.1.0\n- 2026-11-20\n- Initial\n`,
    // git does not track empty dirs; .keep makes devops/ survive clones.
    [`${p}devops/.keep`]: "",
  };
}

export interface RunnableDir {
  name: string;
  /** Absolute path in the workspace checkout. */
  path: string;
  /** Path relative to the workspace root. */
  rel: string;
}

export interface SubRepo {
  /** Absolute path in the workspace checkout. */
  path: string;
  /** Path relative to the workspace root, as `git submodule status --recursive` prints it. */
  rel: string;
  /** 1 = submodule of the root, 2 = submodule of that, ... */
  depth: number;
  /** The upstream it was cloned from. */
  url: string;
}

export interface WorkspaceOptions {
  /** Name of the root runnable (changelog heading). Default "root". */
  name?: string;
  /** Runnable dirs directly in the root repo, at services/svc-I. Default 2. */
  runnables?: number;
  /** How deep sub-repos nest below the root. Default 3. */
  depth?: number;
  /** Also declare libs/optional as a submodule but leave it uninitialised. Default true. */
  uninitialized?: boolean;
}

export interface Workspace extends TempDir {
  /** The super-repo (itself runnable). */
  root: string;
  /** Where the upstream repos the submodules were cloned from live. */
  upstreams: string;
  /** Every runnable dir in initialised repos, root first. */
  runnables: RunnableDir[];
  /** Initialised sub-repos, outermost first. */
  subRepos: SubRepo[];
  /** The declared but uninitialised submodule, if asked for. */
  uninitialized: { path: string; rel: string; url: string } | null;
}

// Sub-repo at nesting level i (1-based): where it sits inside its parent, and what
// it holds. Odd levels carry a runnable sub-dir; even levels are runnable at their
// own root; so tests see both shapes.
interface LevelSpec {
  name: string;
  mount: string;
  runnableDir: string | null;
}

function levelSpec(level: number): LevelSpec {
  const name = level === 1 ? "shared" : level === 2 ? "core" : `level${level}`;
  const mount = level === 1 ? "libs/shared" : `vendor/${name}`;
  const runnableDir = level % 2 === 1 ? `tools/${name}-tool` : null;
  return { name, mount, runnableDir };
}

function levelFiles(spec: LevelSpec): Record<string, string> {
  const files: Record<string, string> = {
    "README.md": `# ${spec.name}\n`,
    [`src/${spec.name}.py`]: `NAME = "${spec.name}"\n`,
  };
  return spec.runnableDir
    ? { ...files, ...runnableFiles(`${spec.name}-tool`, spec.runnableDir) }
    : { ...files, ...runnableFiles(spec.name) };
}

/**
 * Build the upstream repos for levels 1..depth, innermost first, each parent taking
 * its child as a submodule. Returns the level-1 upstream dir.
 */
function buildUpstreamChain(upstreams: string, depth: number): string {
  let child: string | null = null;
  for (let level = depth; level >= 1; level--) {
    const spec = levelSpec(level);
    const dir = makeRepo(join(upstreams, spec.name), levelFiles(spec));
    if (child) addSubmodule(dir, child, levelSpec(level + 1).mount);
    child = dir;
  }
  return child!;
}

/** A runnable root with N runnable dirs and sub-repos nested `depth` deep. */
export function makeWorkspace(opts: WorkspaceOptions = {}): Workspace {
  const { name = "root", runnables = 2, depth = 3, uninitialized = true } = opts;
  const tmp = testdir();
  const upstreams = join(tmp.path, "upstreams");
  const root = join(tmp.path, "workspace");

  const rootFiles: Record<string, string> = { ...runnableFiles(name), "README.md": `# ${name}\n` };
  for (let i = 1; i <= runnables; i++) Object.assign(rootFiles, runnableFiles(`svc-${i}`, `services/svc-${i}`));
  makeRepo(root, rootFiles);

  const runnableDirs: RunnableDir[] = [{ name, path: root, rel: "." }];
  for (let i = 1; i <= runnables; i++) {
    runnableDirs.push({ name: `svc-${i}`, path: join(root, `services/svc-${i}`), rel: `services/svc-${i}` });
  }

  const subRepos: SubRepo[] = [];
  if (depth > 0) {
    addSubmodule(root, buildUpstreamChain(upstreams, depth), levelSpec(1).mount);
    // `submodule add` clones one level only; the nested ones need a recursive update.
    git(root, ["submodule", "update", "--init", "--recursive", "-q"]);
    let rel = "";
    for (let level = 1; level <= depth; level++) {
      const spec = levelSpec(level);
      rel = rel ? `${rel}/${spec.mount}` : spec.mount;
      const path = join(root, rel);
      subRepos.push({ path, rel, depth: level, url: `file://${join(upstreams, spec.name)}` });
      const runnableRel = spec.runnableDir ? `${rel}/${spec.runnableDir}` : rel;
      const runnableName = spec.runnableDir ? `${spec.name}-tool` : spec.name;
      runnableDirs.push({ name: runnableName, path: join(root, runnableRel), rel: runnableRel });
    }
  }

  const optional = uninitialized ? addUninitialized(root, upstreams) : null;
  return { ...tmp, root, upstreams, runnables: runnableDirs, subRepos, uninitialized: optional };
}

/**
 * Declare libs/optional in .gitmodules and the index, then leave it as a fresh
 * non-recursive clone would: empty dir, no module git dir, not in .git/config.
 */
function addUninitialized(root: string, upstreams: string) {
  const rel = "libs/optional";
  const upstream = makeRepo(join(upstreams, "optional"), {
    ...runnableFiles("optional"),
    "README.md": "# optional\n",
  });
  const url = addSubmodule(root, upstream, rel);
  git(root, ["submodule", "deinit", "-q", "-f", rel]);
  rmSync(join(root, ".git", "modules", rel), { recursive: true, force: true });
  return { path: join(root, rel), rel, url };
}


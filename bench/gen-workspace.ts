// Generates the workspaces the benches run dt on, and prints the path of one.
//
//   node_modules/.bin/bun bench/gen-workspace.ts [--shape large|real] [--force]
//
// large (the default; bench/ls.sh): a root repo with 4 sub-repos, each with 2 sub-repos, each
// with 1 sub-repo (3 levels, 20 sub-repos, real git submodules cloned over file:// URLs), 200
// runnable dirs (changelog.txt + devops/.keep, half with their own dt.yaml) spread over the 21
// repos, and 50,000 committed files in all (what `git ls-files --recurse-submodules` lists).
//
// real (bench/real.sh): shaped like a repo of the older toolchain: 10 runnable dirs in the root
// repo, each with its code, tests, its own pyproject.toml and changelog, and its shared devops
// files (Dockerfile, install script, entrypoint, dockerignores) as symlinks into one sub-repo,
// helpers_root, which also holds a library and the thin environment's dev_scripts; a root
// dt.yaml with setenv paths, half the dirs with their own dt.yaml; about 2,000 committed files.
//
// Each is cached under $DT_BENCH_CACHE (default /tmp) in a directory named by its VERSION:
// change any parameter and bump it. A workspace is only used once its stamp file exists, so an
// interrupted generation is redone, never half-used.
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const VERSION = "ws-v2-200rd-3lvl-50000f";
export const RUNNABLE_DIRS = 200;
export const TOTAL_FILES = 50_000;
const FANOUT = [4, 2, 1]; // sub-repos per repo at levels 1, 2, 3
const FILES_PER_DIR = 20;

const cacheRoot = process.env.DT_BENCH_CACHE ?? "/tmp";
let base = join(cacheRoot, `dt-bench-${VERSION}`);

/** Hermetic git: no global/system config, fixed identity and dates, file:// submodules allowed. */
const gitEnv: Record<string, string> = {
  ...(process.env as Record<string, string>),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "dt bench",
  GIT_AUTHOR_EMAIL: "bench@dt.invalid",
  GIT_COMMITTER_NAME: "dt bench",
  GIT_COMMITTER_EMAIL: "bench@dt.invalid",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
  GIT_TERMINAL_PROMPT: "0",
};
const GIT_FLAGS = ["-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"];

const verbose = !!process.env.DT_BENCH_VERBOSE;
const t0 = performance.now();
const log = (m: string) => verbose && console.error(`  [${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);

function git(cwd: string, ...args: string[]): string {
  log(`git ${args.slice(0, 2).join(" ")} in ${cwd}`);
  const p = Bun.spawnSync(["git", ...GIT_FLAGS, ...args], { cwd, env: gitEnv, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) {
    throw new Error(`git ${args.join(" ")} failed in ${cwd} (exit ${p.exitCode}):\n${p.stderr.toString()}`);
  }
  return p.stdout.toString();
}

function write(path: string, text: string) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

interface Repo {
  /** Name of its source repo under src/, also its directory name where it is mounted. */
  name: string;
  /** Where its parent mounts it, relative to the parent repo. */
  mount: string;
  children: Repo[];
}

function tree(): { root: Repo; all: Repo[] } {
  const all: Repo[] = [];
  const make = (name: string, mount: string, level: number): Repo => {
    const repo: Repo = { name, mount, children: [] };
    all.push(repo);
    const n = FANOUT[level] ?? 0;
    for (let i = 0; i < n; i++) {
      const kind = ["mod", "lib", "vendor"][level]!;
      const child = `${name === "root" ? "" : `${name}-`}${kind}${i + 1}`;
      const childMount = level === 0 ? child : level === 1 ? `libs/${child}` : `vendor/${child}`;
      repo.children.push(make(child, childMount, level + 1));
    }
    return repo;
  };
  return { root: make("root", ".", 0), all };
}

function generate(): void {
  const src = join(base, "src");
  const tmpWs = join(base, "ws.tmp");
  mkdirSync(src, { recursive: true });
  const { root, all } = tree();

  // Files each repo holds itself (not counting what its sub-repos hold).
  const runnablePer = new Map<Repo, number>();
  all.forEach((r, i) => runnablePer.set(r, Math.floor(RUNNABLE_DIRS / all.length) + (i < RUNNABLE_DIRS % all.length ? 1 : 0)));
  // Fixed files: per runnable dir changelog.txt, devops/.keep, src/__init__.py, src/app.py, dt.yaml (every other);
  // per repo README.md and .gitignore; .gitmodules where there are children; root dt.yaml.
  const fixed = new Map<Repo, number>();
  for (const r of all) {
    const n = runnablePer.get(r)!;
    fixed.set(r, n * 4 + Math.ceil(n / 2) + 2 + (r.children.length > 0 ? 1 : 0) + (r === root ? 1 : 0));
  }
  const fixedTotal = [...fixed.values()].reduce((a, b) => a + b, 0);
  const fillerTotal = TOTAL_FILES - fixedTotal;
  const fillerPer = new Map<Repo, number>();
  all.forEach((r, i) => fillerPer.set(r, Math.floor(fillerTotal / all.length) + (i < fillerTotal % all.length ? 1 : 0)));

  let rdIndex = 0;
  const populate = (r: Repo, dir: string) => {
    write(join(dir, "README.md"), `# ${r.name}\n`);
    write(join(dir, ".gitignore"), "__pycache__/\n*.pyc\n.venv/\n");
    if (r === root) write(join(dir, "dt.yaml"), "name: benchws\n");
    for (let i = 0; i < runnablePer.get(r)!; i++) {
      const rd = join(dir, "services", `svc-${String(rdIndex).padStart(3, "0")}`);
      const name = `svc${rdIndex}`;
      write(join(rd, "changelog.txt"), `# ${name}-2.${rdIndex % 7}.${i}\n- 2024-01-0${1 + (i % 9)}\n- Second release\n\n# ${name}-1.0.0\n- 2023-12-01\n- Initial version\n`);
      write(join(rd, "devops", ".keep"), "");
      write(join(rd, "src", "__init__.py"), "");
      write(join(rd, "src", "app.py"), `print(${JSON.stringify(name)})\n`);
      if (i % 2 === 0) write(join(rd, "dt.yaml"), `image: ${name}-img\n`);
      rdIndex++;
    }
    // Few distinct contents: git stores 64 blobs, not thousands (ls-files and status never read them).
    const filler = fillerPer.get(r)!;
    for (let i = 0; i < filler; i++) {
      const d = Math.floor(i / FILES_PER_DIR);
      write(join(dir, "pkg", `p${Math.floor(d / 10)}`, `d${d % 10}`, `m${i % FILES_PER_DIR}.py`), `X = ${i % 64}\n`);
    }
  };

  // Bottom-up: a repo's sub-repos are committed before it adds them as submodules.
  const build = (r: Repo) => {
    for (const c of r.children) build(c);
    const dir = join(src, r.name);
    mkdirSync(dir, { recursive: true });
    git(dir, "init", "-q");
    populate(r, dir);
    log(`populated ${r.name}`);
    for (const c of r.children) git(dir, "submodule", "add", "-q", `file://${join(src, c.name)}`, c.mount);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", `${r.name}: initial`);
  };
  build(root);

  git(base, "clone", "-q", "--recurse-submodules", `file://${join(src, root.name)}`, tmpWs);
  const count = git(tmpWs, "ls-files", "--recurse-submodules").split("\n").filter(Boolean).length;
  if (count !== TOTAL_FILES) throw new Error(`generated ${count} files, expected ${TOTAL_FILES}`);
  finish(src, tmpWs, VERSION);
}

/** Checks the clone is clean, moves it into place and stamps it. */
function finish(src: string, tmpWs: string, version: string): void {
  const clean = git(tmpWs, "status", "--porcelain", "--ignore-submodules=none");
  if (clean.trim() !== "") throw new Error(`generated workspace is not clean:\n${clean}`);
  rmSync(src, { recursive: true, force: true });
  renameSync(tmpWs, join(base, "ws"));
  writeFileSync(join(base, "READY"), `${version}\n`);
}

const REAL_VERSION = "ws-real-v2-10rd-1sub";
/** The runnable dirs of the real shape, named as a trading repo's might be. */
const REAL_DIRS = ["dataflow", "im", "oms", "market_data", "research", "optimizer", "reconciliation", "ticker", "web", "reports"];
/** The devops files every runnable dir links into helpers_root (the older toolchain's "link approach"). */
const SHARED_DEVOPS = [
  "docker_build/dev.Dockerfile",
  "docker_build/prod.Dockerfile",
  "docker_build/install.sh",
  "docker_build/os_packages.txt",
  "docker_build/dockerignore.dev",
  "docker_build/dockerignore.prod",
  "docker_run/entrypoint.sh",
];

function generateReal(): void {
  const src = join(base, "src");
  const tmpWs = join(base, "ws.tmp");
  const helpers = join(src, "helpers_root");
  const root = join(src, "root");

  // helpers_root: the shared devops files, a library (20 packages of 20 modules) and dev_scripts.
  // The Dockerfiles build on `dt-bench/base` (bench/real.sh tags the test bed's busybox so).
  for (const f of SHARED_DEVOPS) {
    const text = f.endsWith("Dockerfile") ? `# shared ${f}\nARG BASE_IMAGE\nFROM \${BASE_IMAGE}\n` : `# shared ${f}\n`;
    write(join(helpers, "devops", f), text);
  }
  write(join(helpers, "README.md"), "# helpers\n");
  write(join(helpers, ".gitignore"), "__pycache__/\n*.pyc\n");
  for (let p = 0; p < 20; p++) {
    write(join(helpers, "helpers", `hpkg${p}`, "__init__.py"), "");
    for (let m = 0; m < 20; m++) write(join(helpers, "helpers", `hpkg${p}`, `hmod${m}.py`), `X = ${(p * 20 + m) % 64}\n`);
  }
  for (let i = 0; i < 40; i++) write(join(helpers, "dev_scripts", i < 20 ? "" : "git", `dt_tool${i}.sh`), "#!/bin/sh\necho tool\n");
  git(helpers, "init", "-q");
  git(helpers, "add", "-A");
  git(helpers, "commit", "-q", "-m", "helpers: initial");

  write(join(root, "dt.yaml"), "name: realws\nregistry: ghcr.io/acme\nbase_image: dt-bench/base\nsetenv:\n  pythonpath: ['.', helpers_root]\n");
  write(join(root, "README.md"), "# realws\n");
  write(join(root, ".gitignore"), "__pycache__/\n*.pyc\n.venv/\n.dt/\n");
  write(join(root, "pytest.ini"), "[pytest]\nmarkers =\n    slow: slow\n    superslow: superslow\n");
  write(join(root, "conftest.py"), "");
  for (let i = 0; i < 10; i++) write(join(root, "dev_scripts_realws", `run${i}.sh`), "#!/bin/sh\n");
  for (const [i, name] of REAL_DIRS.entries()) {
    const dir = join(root, name);
    write(join(dir, "changelog.txt"), `# ${name}-1.${i + 1}.0\n- 2026-11-0${1 + (i % 9)}\n- Second release\n\n# ${name}-1.0.0\n- 2026-10-01\n- Initial version\n`);
    if (i % 2 === 0) write(join(dir, "dt.yaml"), `image: ${name.replace("_", "-")}\n`);
    write(join(dir, "devops", "docker_build", "pyproject.toml"), `[tool.poetry]\nname = "${name}"\n`);
    for (const f of SHARED_DEVOPS) {
      const link = join(dir, "devops", f);
      mkdirSync(join(link, ".."), { recursive: true });
      symlinkSync(relative(join(link, ".."), join(root, "helpers_root", "devops", f)), link);
    }
    write(join(dir, "__init__.py"), "");
    for (let p = 0; p < 6; p++) {
      write(join(dir, `pkg${p}`, "__init__.py"), "");
      for (let m = 0; m < 20; m++) write(join(dir, `pkg${p}`, `mod${m}.py`), `Y = ${(i * 120 + p * 20 + m) % 64}\n`);
    }
    for (let t = 0; t < 20; t++) write(join(dir, "test", `test_${name}_${t}.py`), `def test_${t}():\n    assert True\n`);
  }
  git(root, "init", "-q");
  git(root, "submodule", "add", "-q", `file://${helpers}`, "helpers_root");
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "realws: initial");
  git(base, "clone", "-q", "--recurse-submodules", `file://${root}`, tmpWs);
  finish(src, tmpWs, REAL_VERSION);
}

if (import.meta.main) {
  const shape = Bun.argv.includes("--shape") ? Bun.argv[Bun.argv.indexOf("--shape") + 1] : "large";
  if (shape !== "large" && shape !== "real") {
    console.error(`gen-workspace: unknown --shape ${shape}; expected large or real`);
    process.exit(2);
  }
  base = join(cacheRoot, `dt-bench-${shape === "real" ? REAL_VERSION : VERSION}`);
  if (Bun.argv.includes("--force") || !existsSync(join(base, "READY"))) {
    const started = performance.now();
    console.error(`gen-workspace: generating ${join(base, "ws")} ...`);
    rmSync(base, { recursive: true, force: true });
    if (shape === "real") generateReal();
    else generate();
    console.error(`gen-workspace: done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }
  console.log(join(base, "ws"));
}

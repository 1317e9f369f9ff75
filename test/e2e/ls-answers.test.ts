// `dt ls` remembers its answer (src/core/base/answers.ts, workspace/repo-witness.ts): the next
// run prints it again, without git or the engine's image questions, while every directory git
// walked, each repo's index, refs and ignore files, each tracked file of a sub-repo (its dirty
// state) and the engine's image events are as they were. On the example workspace (a
// helpers_root sub-repo whose files the dirs link to). The file changes are tried with no engine
// at DOCKER_HOST (the shared test bed's engine has image events from other tests at any time);
// the engine's own part on a private engine (test/support/second-engine.ts).
//
// To tell a replay from a fresh run, a test plants a marker in the kept answer: a run that prints
// it replayed, one that prints the truth read again.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, lutimesSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFilesIn, recordedPaths, traceRecording } from "../support/answer-trace.ts";
import { dt, dtArgv } from "../support/dt.ts";
import { addSubmodule, cleanupAll, git, gitEnv, makeRepo, runnableFiles, testdir } from "../support/fixtures.ts";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.ts";
import { testbed } from "../support/testbed.ts";

setDefaultTimeout(120_000);

let ws = "";
let cache = "";
let noEngine = "";
let engine: SecondEngine | undefined;
const MARK = "PLANTED-ANSWER\n";

const env = (extra: Record<string, string | undefined> = {}) => ({ XDG_CACHE_HOME: cache, USER: "dttest", DT_REGISTRY: undefined, DOCKER_HOST: `unix://${noEngine}`, ...extra });
const answersDir = () => join(cache, "dt", "answers");
const answerFiles = () => answerFilesIn(cache);

/**
 * Every file of the workspace two hours old and every git dir one hour old: answers are kept
 * only once what they read settled (2 s), and git rewrites an index older than the files it
 * lists (it cannot tell their changes from its own writes), which would unsettle it again.
 */
function settle(root = ws, subRepos = ["helpers_root"]): void {
  const age = (dir: string, ms: number, skipGit: boolean) => {
    const then = new Date(Date.now() - ms);
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      // A sub-repo's .git is a file (a pointer to its git dir): a file of the work tree.
      if (skipGit && (path.includes("/.git/") || (path.endsWith("/.git") && entry.isDirectory()))) continue;
      // A link's own mtime too: git compares it (lstat), and one newer than the index is racy.
      if (entry.isSymbolicLink()) lutimesSync(path, then, then);
      else utimesSync(path, then, then);
    }
    utimesSync(dir, then, then);
  };
  age(root, 7_200_000, true);
  git(root, ["status", "--porcelain"]);
  for (const sub of subRepos) git(join(root, sub), ["status", "--porcelain"]);
  age(join(root, ".git"), 3_600_000, false);
}

/** Runs `dt ls` (stdout a pipe) after which exactly one answer is kept; plants the marker in it and checks it is replayed. */
async function keepAndPlant(extraEnv: Record<string, string | undefined> = {}): Promise<{ stdout: string; stderr: string }> {
  rmSync(answersDir(), { recursive: true, force: true });
  const first = await dt(["ls"], { cwd: ws, env: env(extraEnv) });
  expect(first.code).toBe(0);
  const files = answerFiles();
  expect(files.length).toBe(1);
  const answer = JSON.parse(readFileSync(files[0]!, "utf8"));
  answer.out = [[1, MARK]];
  writeFileSync(files[0]!, JSON.stringify(answer));
  expect((await dt(["ls"], { cwd: ws, env: env(extraEnv) })).stdout).toBe(MARK);
  return first;
}

/** Keeps an answer, plants the marker, applies `change`; the next run's output (with `nextEnv`; never the marker). */
async function afterChange(change: () => void, nextEnv: Record<string, string | undefined> = {}): Promise<string> {
  await keepAndPlant();
  change();
  const next = await dt(["ls"], { cwd: ws, env: env(nextEnv) });
  expect(next.code).toBe(0);
  expect(next.stdout).not.toBe(MARK);
  return next.stdout;
}

beforeAll(async () => {
  const tmp = testdir().path;
  cache = join(tmp, "cache");
  noEngine = join(tmp, "no-engine.sock");
  ws = join(tmp, "ex");
  const init = await dt(["init", "--example", ws], { cwd: tmp });
  expect(init.code).toBe(0);
  settle();
});

afterAll(async () => {
  await engine?.destroy();
  cleanupAll();
});

describe("dt ls with no engine there", () => {
  test("the second run prints the first one's answer, its warning on stderr included, and runs no git", async () => {
    rmSync(answersDir(), { recursive: true, force: true });
    const first = await dt(["ls"], { cwd: ws, env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("apps/pricer");
    expect(first.stdout).toContain("helpers_root");
    expect(first.stderr).toContain("stages built locally are unknown");
    const again = await dt(["ls"], { cwd: ws, env: env() });
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({ code: 0, stdout: first.stdout, stderr: first.stderr });
    // The replay, under strace: dt alone, no git process.
    const trace = join(testdir().path, "trace");
    const traced = Bun.spawnSync(["strace", "-f", "-qq", "-o", trace, "-e", "trace=execve", ...dtArgv(), "ls"], {
      cwd: ws,
      env: { ...gitEnv(), NO_COLOR: "1", ...clean(env()) },
      stdout: "pipe",
    });
    expect(traced.stdout.toString()).toBe(first.stdout);
    expect(readFileSync(trace, "utf8").split("\n").filter((l) => l.includes("execve(")).length).toBe(1);
  });

  test("a new runnable dir in a new directory is listed", async () => {
    const dir = join(ws, "apps", "newapp");
    try {
      const out = await afterChange(() => {
        mkdirSync(join(dir, "devops"), { recursive: true });
        writeFileSync(join(dir, "changelog.txt"), "# newapp-0.4.0\n- 2026-12-01\n- New\n");
      });
      expect(out).toMatch(/apps\/newapp\s+newapp\s+0\.4\.0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      settle();
    }
  });

  test("a runnable dir made deep inside an empty untracked directory is listed (git walks it, nothing in it was listed)", async () => {
    const empty = join(ws, "lab");
    mkdirSync(join(empty, "inner"), { recursive: true });
    settle();
    try {
      const out = await afterChange(() => {
        mkdirSync(join(empty, "inner", "deep", "devops"), { recursive: true });
        writeFileSync(join(empty, "inner", "deep", "changelog.txt"), "# deep-0.1.0\n- 2026-12-01\n- New\n");
      });
      expect(out).toContain("lab/inner/deep");
    } finally {
      rmSync(empty, { recursive: true, force: true });
      settle();
    }
  });

  test("a tracked file of the sub-repo edited to the same size: the sub-repo is dirty", async () => {
    const file = join(ws, "helpers_root", "README.md");
    const before = readFileSync(file, "utf8");
    try {
      const out = await afterChange(() => {
        const was = statSync(file).mtime;
        writeFileSync(file, before.replace(/\w/, "X"));
        utimesSync(file, was, new Date(was.getTime() + 1000));
      });
      expect(out).toMatch(/helpers_root\s+\w+\s+\S+\s+dirty/);
    } finally {
      writeFileSync(file, before);
      settle();
    }
    expect((await dt(["ls"], { cwd: ws, env: env() })).stdout).toMatch(/helpers_root\s+\w+\s+\S+\s+clean/);
  });

  test("a file of the sub-repo untracked from its index only (git rm --cached): dirty", async () => {
    const sub = join(ws, "helpers_root");
    try {
      const out = await afterChange(() => git(sub, ["rm", "-q", "--cached", "pytest.ini"]));
      expect(out).toMatch(/helpers_root\s+\w+\s+\S+\s+dirty/);
    } finally {
      git(sub, ["reset", "-q"]);
      settle();
    }
  });

  test("a commit in the sub-repo: its new commit is shown", async () => {
    const sub = join(ws, "helpers_root");
    const was = git(sub, ["rev-parse", "HEAD"]);
    try {
      const out = await afterChange(() => git(sub, ["commit", "-q", "--allow-empty", "-m", "Empty"]));
      const now = git(sub, ["rev-parse", "HEAD"]);
      expect(now).not.toBe(was);
      expect(out).toContain(now.slice(0, 10));
    } finally {
      git(sub, ["reset", "-q", "--soft", was]);
      settle();
    }
  });

  for (const [where, file] of [
    [".gitignore, edited in place", () => join(ws, ".gitignore")],
    [".git/info/exclude", () => join(ws, ".git", "info", "exclude")],
  ] as const) {
    test(`an untracked runnable dir newly ignored (${where}) is no longer listed`, async () => {
      const dir = join(ws, "scratch");
      mkdirSync(join(dir, "devops"), { recursive: true });
      writeFileSync(join(dir, "changelog.txt"), "# scratch-0.1.0\n- 2026-12-01\n- New\n");
      const ignore = file();
      mkdirSync(join(ignore, ".."), { recursive: true });
      const before = (() => {
        try {
          return readFileSync(ignore, "utf8");
        } catch {
          return undefined;
        }
      })();
      settle();
      try {
        const kept = await keepAndPlant();
        expect(kept.stdout).toContain("scratch");
        appendFileSync(ignore, "\nscratch/\n");
        const next = await dt(["ls"], { cwd: ws, env: env() });
        expect(next.stdout).not.toBe(MARK);
        expect(next.stdout).not.toContain("scratch");
        expect(next.stdout).toContain("apps/pricer");
      } finally {
        if (before === undefined) rmSync(ignore, { force: true });
        else writeFileSync(ignore, before);
        rmSync(dir, { recursive: true, force: true });
        settle();
      }
    });
  }

  test("what git ignores changes without a new answer (a __pycache__ written by a test run)", async () => {
    await keepAndPlant();
    const cacheDir = join(ws, "apps", "pricer", "__pycache__");
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "x.cpython-311.pyc"), "compiled");
    try {
      // __pycache__ was not there: apps/pricer itself changed, so this run reads again...
      expect((await dt(["ls"], { cwd: ws, env: env() })).stdout).not.toBe(MARK);
      settle();
      await keepAndPlant();
      // ...and once it is there, what happens inside it is git's to ignore, and dt's.
      writeFileSync(join(cacheDir, "y.cpython-311.pyc"), "compiled");
      expect((await dt(["ls"], { cwd: ws, env: env() })).stdout).toBe(MARK);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
      settle();
    }
  });

  test("an engine appears at DOCKER_HOST (something at its socket path): the stages are asked for", async () => {
    try {
      const out = await afterChange(() => writeFileSync(noEngine, ""));
      expect(out).toContain("apps/pricer");
    } finally {
      rmSync(noEngine, { force: true });
    }
  });

  test("another GIT_* variable (git reads them all): read again", async () => {
    const out = await afterChange(() => {}, { GIT_CONFIG_PARAMETERS: "'core.quotepath=false'" });
    expect(out).toContain("apps/pricer");
  });

  test("every path dt itself looks at is in the answer (strace of the run that keeps it; git's own reads are the witness's)", () => {
    rmSync(answersDir(), { recursive: true, force: true });
    const run = traceRecording(["ls"], { cwd: ws, env: clean(env()), cache });
    expect(run.code).toBe(0);
    expect(run.answers.length).toBe(1);
    expect(run.gitRuns).toBeGreaterThan(1);
    const answer = run.answers[0]!;
    const recorded = recordedPaths(answer);
    // The search for git along PATH: PATH itself is in the answer.
    expect(answer.env.map(([name]) => name)).toContain("PATH");
    for (const dir of (process.env.PATH ?? "").split(":")) recorded.add(join(dir, "git"));
    expect(run.touched.length).toBeGreaterThan(10);
    expect(run.touched.filter((p) => !recorded.has(p))).toEqual([]);
  });
});

test("a sub-repo with more tracked files than an answer may note (8,000): nothing is kept, and ls says what a run without answers says", async () => {
  const tmp = testdir().path;
  const files: Record<string, string> = {};
  for (let i = 0; i < 8100; i++) files[`lib/m${i % 50}/f${i}.py`] = "";
  const upstream = makeRepo(join(tmp, "big-upstream"), files);
  const root = makeRepo(join(tmp, "big"), { ...runnableFiles("big") });
  addSubmodule(root, upstream, "bigsub");
  settle(root, ["bigsub"]);
  rmSync(answersDir(), { recursive: true, force: true });
  const first = await dt(["ls"], { cwd: root, env: env() });
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/bigsub\s+\w+\s+\S+\s+clean/);
  expect(answerFiles()).toEqual([]);
  const off = await dt(["ls"], { cwd: root, env: env({ DT_ANSWERS: "off" }) });
  expect(off.stdout).toBe(first.stdout);
});

describe("dt ls and the engine's images (a private engine)", () => {
  let engineEnv: Record<string, string> = {};
  beforeAll(async () => {
    engine = await startSecondEngine({ images: [testbed().images.busybox] });
    engineEnv = engine.env;
  });

  test("replayed while the engine had no image event; a tag made, then removed: read again each time", async () => {
    const first = await keepAndPlant(engineEnv);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/apps\/pricer\s+pricer\s+0\.2\.0\s+-/);
    // Containers come and go without touching images: still the kept answer.
    const c = await engine!.api().createContainer({ Image: testbed().images.busybox, Cmd: ["true"] });
    await c.remove({ force: true });
    expect((await dt(["ls"], { cwd: ws, env: env(engineEnv) })).stdout).toBe(MARK);
    await engine!.api().getImage(testbed().images.busybox).tag({ repo: "dt-ls-answers", tag: "a" });
    expect((await dt(["ls"], { cwd: ws, env: env(engineEnv) })).stdout).toBe(first.stdout);
    await keepAndPlant(engineEnv);
    await engine!.api().getImage("dt-ls-answers:a").remove();
    expect((await dt(["ls"], { cwd: ws, env: env(engineEnv) })).stdout).toBe(first.stdout);
  });

  test("a restarted engine (its events gone) is asked again", async () => {
    await keepAndPlant(engineEnv);
    await engine!.stop();
    await engine!.start();
    const next = await dt(["ls"], { cwd: ws, env: env(engineEnv) });
    expect({ code: next.code, stderr: next.stderr }).toEqual({ code: 0, stderr: "" });
    expect(next.stdout).not.toBe(MARK);
    expect(next.stdout).toContain("apps/pricer");
  });
});

function clean(e: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

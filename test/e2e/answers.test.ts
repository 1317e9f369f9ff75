// Remembered answers of `dt version`, `dt config`, `dt setenv` and `dt ls` (src/core/base/answers.ts), on
// the compiled binary: a second run prints the first one's output only while everything the first
// one read is unchanged. To tell a replay from a fresh run, a test plants a marker in the kept
// answer: a run that prints it replayed, one that prints the truth read the files again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFilesIn, recordedPaths, traceRecording } from "../support/answer-trace.ts";
import { dt, dtArgv } from "../support/dt.ts";
import { cleanupAll, git, gitEnv, testdir } from "../support/fixtures.ts";

afterAll(cleanupAll);

let ws = "";
let cache = "";
let pricer = "";
const MARK = "PLANTED-ANSWER\n";

/** Every file and dir under `dir` an hour old: answers are kept only once the files settled (2 s). */
function settle(dir: string): void {
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isSymbolicLink()) utimesSync(path, hourAgo, hourAgo);
  }
  utimesSync(dir, hourAgo, hourAgo);
}

const env = () => ({ XDG_CACHE_HOME: cache, USER: "dttest", DT_REGISTRY: undefined, SHELL: "/bin/bash" });
const answersDir = () => join(cache, "dt", "answers");
const answerFiles = () => answerFilesIn(cache);

/** Runs dt (stdout a pipe), after which exactly one answer is kept; that answer's file. */
async function keptAfter(args: string[], cwd: string, extraEnv: Record<string, string | undefined> = {}) {
  rmSync(answersDir(), { recursive: true, force: true });
  const r = await dt(args, { cwd, env: { ...env(), ...extraEnv } });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const files = answerFiles();
  expect(files.length).toBe(1);
  return { file: files[0]!, out: r.stdout };
}

function plant(file: string): void {
  const answer = JSON.parse(readFileSync(file, "utf8"));
  answer.out = [[1, MARK]];
  writeFileSync(file, JSON.stringify(answer));
}

beforeAll(async () => {
  const tmp = testdir().path;
  cache = join(tmp, "cache");
  ws = join(tmp, "ex");
  const init = await dt(["init", "--example", ws], { cwd: tmp });
  expect(init.code).toBe(0);
  pricer = join(ws, "apps", "pricer");
  settle(ws);
});

describe("a kept answer is replayed while what it read holds", () => {
  for (const [name, args] of [
    ["version", ["version"]],
    ["version --json", ["version", "--json"]],
    ["config", ["config"]],
    ["setenv", ["setenv", "--shell", "bash"]],
  ] as const) {
    test(`dt ${name}: the second run prints the kept answer, to a pipe and to a file`, async () => {
      const { file, out } = await keptAfter([...args], pricer);
      expect(out.length).toBeGreaterThan(0);
      const again = await dt([...args], { cwd: pricer, env: env() });
      expect(again.stdout).toBe(out);
      plant(file);
      const replayed = await dt([...args], { cwd: pricer, env: env() });
      expect({ code: replayed.code, stdout: replayed.stdout, stderr: replayed.stderr }).toEqual({ code: 0, stdout: MARK, stderr: "" });
      // stdout a regular file: replayed too.
      const target = join(testdir().path, "out.txt");
      const toFile = Bun.spawnSync([...dtArgv(), ...args], { cwd: pricer, env: { ...gitEnv(), NO_COLOR: "1", ...clean(env()) }, stdout: Bun.file(target) });
      expect(toFile.exitCode).toBe(0);
      expect(readFileSync(target, "utf8")).toBe(MARK);
    });
  }
});

function clean(e: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

describe("a change to anything it read: the next run reads again", () => {
  /** Keeps an answer of `args` in `cwd`, plants the marker, applies `change`; returns the next run's stdout. */
  async function afterChange(args: string[], cwd: string, change: () => void, nextEnv: Record<string, string | undefined> = {}) {
    const { file } = await keptAfter(args, cwd);
    plant(file);
    expect((await dt(args, { cwd, env: env() })).stdout).toBe(MARK);
    change();
    const next = await dt(args, { cwd, env: { ...env(), ...nextEnv } });
    expect(next.code).toBe(0);
    return next.stdout;
  }

  test("the changelog gains an entry (dt version)", async () => {
    const file = join(pricer, "changelog.txt");
    const before = readFileSync(file, "utf8");
    try {
      const out = await afterChange(["version"], pricer, () => writeFileSync(file, `# pricer-0.3.0\n- 2026-12-01\n- Faster\n\n${before}`));
      expect(out).toBe("0.3.0\n");
    } finally {
      writeFileSync(file, before);
      settle(ws);
    }
  });

  test("the changelog is edited to the same size, one second later (dt version)", async () => {
    const file = join(pricer, "changelog.txt");
    const before = readFileSync(file, "utf8");
    const edited = before.replace("0.2.0", "0.2.9");
    expect(edited.length).toBe(before.length);
    try {
      const out = await afterChange(["version"], pricer, () => {
        const was = statSync(file).mtime;
        writeFileSync(file, edited);
        utimesSync(file, was, new Date(was.getTime() + 1000));
      });
      expect(out).toBe("0.2.9\n");
    } finally {
      writeFileSync(file, before);
      settle(ws);
    }
  });

  test("a dt.yaml appears in the dir (dt config)", async () => {
    const file = join(pricer, "dt.yaml");
    try {
      const out = await afterChange(["config"], pricer, () => writeFileSync(file, "image: pricer-renamed\n"));
      expect(out).toContain("pricer-renamed");
    } finally {
      rmSync(file, { force: true });
      settle(ws);
    }
  });

  test("an environment variable it read changes (dt setenv, DT_REGISTRY)", async () => {
    const out = await afterChange(["setenv", "--shell", "bash"], pricer, () => {}, { DT_REGISTRY: "registry.example:5000" });
    expect(out).toContain("registry.example:5000/pricer");
  });

  test("another shell runs it (dt setenv without --shell: the parent process's name)", async () => {
    const { file } = await keptAfter(["setenv"], pricer, { SHELL: "/bin/bash" });
    plant(file);
    const command = `${dtArgv().join(" ")} setenv | cat`;
    const run = (shell: string) =>
      Bun.spawnSync([shell, "-c", command], { cwd: pricer, env: { ...gitEnv(), NO_COLOR: "1", ...clean(env()) } }).stdout.toString();
    // Kept from a run under bun (the test); a run whose parent is bash, then zsh, reads again.
    const underBash = run("bash");
    expect(underBash).not.toBe(MARK);
    expect(underBash).toContain("export DT_WORKSPACE=");
    const underZsh = run("zsh");
    expect(underZsh).not.toBe(MARK);
    expect(underZsh).toContain("export DT_WORKSPACE=");
  });

  test("the dir becomes a repo of its own (a .git appears where there was none)", async () => {
    try {
      const out = await afterChange(["setenv", "--shell", "bash"], pricer, () => git(pricer, ["init", "-q"]));
      expect(out).not.toBe(MARK);
      expect(out).toContain(`DT_WORKSPACE='${pricer}'`);
    } finally {
      rmSync(join(pricer, ".git"), { recursive: true, force: true });
      settle(ws);
    }
  });

  test("another dt binary (a rebuild, an upgrade) never replays this one's answers", async () => {
    const { file } = await keptAfter(["version"], pricer);
    const answer = JSON.parse(readFileSync(file, "utf8"));
    answer.out = [[1, MARK]];
    answer.bin = [answer.bin[0] + 1, answer.bin[1]];
    writeFileSync(file, JSON.stringify(answer));
    expect((await dt(["version"], { cwd: pricer, env: env() })).stdout).toBe("0.2.0\n");
  });
});

test("the values of the environment variables a run read are not written down, only their SHA-256", async () => {
  const marker = "marker-value-7f3a9c";
  const { file } = await keptAfter(["version"], pricer, { NO_COLOR: marker });
  const text = readFileSync(file, "utf8");
  expect(text).not.toContain(marker);
  const answer = JSON.parse(text) as { env: [string, string | null][] };
  expect(answer.env).toContainEqual(["NO_COLOR", new Bun.CryptoHasher("sha256").update(marker).digest("hex")]);
  plant(file);
  expect((await dt(["version"], { cwd: pricer, env: { ...env(), NO_COLOR: marker } })).stdout).toBe(MARK);
  expect((await dt(["version"], { cwd: pricer, env: { ...env(), NO_COLOR: `${marker}x` } })).stdout).toBe("0.2.0\n");
});

describe("when nothing is kept or replayed", () => {
  test("DT_ANSWERS=off: nothing kept, nothing replayed", async () => {
    const { file } = await keptAfter(["version"], pricer);
    plant(file);
    const off = await dt(["version"], { cwd: pricer, env: { ...env(), DT_ANSWERS: "off" } });
    expect(off.stdout).toBe("0.2.0\n");
  });

  test("a run with --verbose is not kept (its talk is about that run); a file changed in the last 2 s is not kept", async () => {
    rmSync(answersDir(), { recursive: true, force: true });
    // Outside a workspace, --verbose says so on stderr.
    const warned = await dt(["setenv", "--shell", "bash", "--verbose"], { cwd: testdir().path, env: env() });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain("not inside a git workspace");
    expect(answerFiles()).toEqual([]);
    const file = join(pricer, "changelog.txt");
    writeFileSync(file, readFileSync(file, "utf8"));
    try {
      expect((await dt(["version"], { cwd: pricer, env: env() })).code).toBe(0);
      expect(answerFiles()).toEqual([]);
    } finally {
      settle(ws);
    }
  });

  test("on a terminal: the answer is not replayed (colours and widths are the terminal's)", async () => {
    const { file } = await keptAfter(["version"], pricer);
    plant(file);
    const command = [...dtArgv(), "version"].map((a) => `'${a}'`).join(" ");
    const proc = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { cwd: pricer, env: { ...gitEnv(), ...clean(env()) } });
    expect(proc.stdout.toString()).toContain("0.2.0");
    expect(proc.stdout.toString()).not.toContain("PLANTED");
  });
});

describe("every path a run looks at is in its answer (strace of the run that keeps it)", () => {
  for (const args of [["version"], ["config"], ["setenv", "--shell", "bash"], ["setenv"]]) {
    test(`dt ${args.join(" ")}`, () => {
      rmSync(answersDir(), { recursive: true, force: true });
      const run = traceRecording(args, { cwd: pricer, env: clean(env()), cache });
      expect(run.code).toBe(0);
      expect(run.answers.length).toBe(1);
      expect(run.touched.length).toBeGreaterThan(3);
      expect(run.touched.filter((p) => !recordedPaths(run.answers[0]!).has(p))).toEqual([]);
    });
  }
});

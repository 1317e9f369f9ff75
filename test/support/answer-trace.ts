// A recording run of dt under strace: the answer it kept and the paths its own process looked
// at, for the tests that hold remembered answers to "every path a run looks at is in its answer"
// (test/e2e/answers.test.ts, test/e2e/ls-answers.test.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dtArgv } from "./dt.ts";
import { gitEnv, testdir } from "./fixtures.ts";

export interface KeptAnswer {
  inputs: [string, string, ...unknown[]][];
  env: [string, string | null][];
}

export interface TracedRecording {
  code: number;
  /** The answers kept by the run (one is expected). */
  answers: KeptAnswer[];
  /** Paths dt's own process looked at: not its git processes', the runtime's, dt's own or its cache's. */
  touched: string[];
  /** How many git processes it ran. */
  gitRuns: number;
}

const SYSCALLS = "execve,openat,open,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,readlinkat";

export function traceRecording(args: string[], options: { cwd: string; env: Record<string, string>; cache: string }): TracedRecording {
  const trace = join(testdir().path, "trace");
  // -s: paths whole (strace cuts strings at 32 characters by default).
  const r = Bun.spawnSync(["strace", "-f", "-qq", "-s", "4096", "-o", trace, "-e", `trace=${SYSCALLS}`, ...dtArgv(), ...args], {
    cwd: options.cwd,
    env: { ...gitEnv(), NO_COLOR: "1", ...options.env },
    stdout: "pipe",
  });
  const answers = answerFilesIn(options.cache).map((f) => JSON.parse(readFileSync(f, "utf8")) as KeptAnswer);
  const lines = readFileSync(trace, "utf8").split("\n");
  const gitPids = new Set(lines.filter((l) => /execve\("[^"]*\/git"/.test(l)).map((l) => l.split(" ")[0]));
  const notInputs = (path: string) =>
    /^\/(proc|sys|dev|etc|usr|lib|lib64|bin|sbin)\//.test(path) || path.startsWith(options.cache) || path === dtArgv()[0] || /\.so(\.|$)/.test(path) || path.startsWith("/tmp/bunfs");
  const touched = new Set<string>();
  for (const line of lines) {
    // O_PATH opens are realpath's; execve is the search along PATH (PATH is in the answer).
    if (line.includes("O_PATH") || line.includes("execve(") || gitPids.has(line.split(" ")[0])) continue;
    const m = /"(\/[^"]*)"/.exec(line);
    if (!m) continue;
    const path = m[1]!.replace(/\/\.$/, "");
    if (!notInputs(path)) touched.add(path);
  }
  return { code: r.exitCode ?? -1, answers, touched: [...touched], gitRuns: gitPids.size };
}

/** The answer files kept under the cache dir `cache`. */
export function answerFilesIn(cache: string): string[] {
  const dir = join(cache, "dt", "answers");
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The paths an answer vouches for. */
export const recordedPaths = (answer: KeptAnswer) => new Set(answer.inputs.filter((i) => i[0] !== "p").map((i) => i[1]));

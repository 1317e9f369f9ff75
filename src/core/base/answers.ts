// `dt version`, `dt config` and `dt setenv` print what a few files say. A run of one of them
// keeps its whole output with a stamp of every path it looked at, and the next run with the same
// binary, directory and arguments prints it again while every one of those paths, and every
// environment variable it read, is as it was: main.ts answers then before the command table,
// node:fs or any parser is loaded.
// node:fs alone costs ~1.3 ms and starts a JIT thread (docs/benchmarks.md, issue 20), which on
// two cores is a third of what these commands cost.
//
// Only Bun's own calls here (Bun.file's size and mtime, Bun.mmap, Bun.hash), which cost nothing
// to load. The rules, in docs/design.md ("Remembered answers"):
// - the environment variables a run reads are recorded through a proxy of process.env, with
//   the SHA-256 of their values (or their absence); a run that lists or sets variables is not
//   kept;
// - a path read is stamped (size, mtime in ms) before it is read, so a change during the run
//   is a mismatch next time, never a stale answer; a path looked at is stamped by what is there
//   (nothing, a file, a directory);
// - an answer whose files changed in the last 2 s is not kept: a second change within the same
//   millisecond and of the same size would keep the stamp;
// - only a run that exits 0 and says nothing on stderr is kept, and only to a pipe or a file:
//   on a terminal colours and widths are the terminal's, and on /dev/null dt cannot tell a
//   closed stdout (an error) from one sent there on purpose;
// - only the compiled binary keeps answers (its own size and mtime are in each one), only under
//   $XDG_CACHE_HOME or $HOME, and DT_ANSWERS=off turns them off.

import { DT_VERSION } from "./dt-version.ts";
import { isTTY } from "./tty.ts";

/** What `Bun.file(p).lastModified` says when there is nothing at p (a unit test holds Bun to it). */
export const NO_FILE_MTIME = 4503599627370495;
export const ANSWERED_COMMANDS: ReadonlySet<string> = new Set(["version", "config", "setenv"]);
const SETTLED_MS = 2000;
const KEPT_ANSWERS = 200;

type PathState = "absent" | "file" | "dir";
export type AnswerInput =
  /** A file read: its size and mtime (ms) just before. */
  | ["f", string, number, number]
  /** A path looked at: what was there. */
  | ["e", string, PathState]
  /** The name of the parent process (setenv writes for the shell that runs it). */
  | ["p", string];

export interface Answer {
  v: 1;
  dt: string;
  /** dt's own size and mtime. */
  bin: [number, number];
  /** Each environment variable the run read, with the SHA-256 of its value (null: unset): a token read is not written down. */
  env: [string, string | null][];
  inputs: AnswerInput[];
  out: string;
}

export function pathState(path: string): PathState {
  if (Bun.file(path).lastModified === NO_FILE_MTIME) return "absent";
  // `dir/.` exists only when dir is a directory (or a link to one).
  return Bun.file(`${path}/.`).lastModified === NO_FILE_MTIME ? "file" : "dir";
}

const digestOf = (value: string | undefined) => (value === undefined ? null : new Bun.CryptoHasher("sha256").update(value).digest("hex"));

function fileStamp(path: string): [number, number] {
  const f = Bun.file(path);
  return [f.size, f.lastModified];
}

const compiled = () => (Bun as unknown as { isStandaloneExecutable?: boolean }).isStandaloneExecutable === true;

/**
 * The answer file of a run of `argv` here, or undefined when answers are off. The cache dir by
 * home.ts's rule, less its temp-dir fallback (a dir other users could plant answers in) and
 * without loading node:os and node:path.
 */
export function answerFile(argv: readonly string[], env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string | undefined {
  if (env.DT_ANSWERS === "off") return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : undefined);
  if (!base) return undefined;
  return `${base}/dt/answers/${Bun.hash(`${process.execPath}\0${cwd}\0${argv.join("\0")}`).toString(16)}.json`;
}

/** stdout is a pipe or a file (see the rules above). */
function outputTakesAnswers(): boolean {
  if (isTTY(1)) return false;
  const out = Bun.file(1);
  return !(out.size === Infinity && out.lastModified === Bun.file("/dev/null").lastModified);
}

async function parentName(): Promise<string | undefined> {
  try {
    return (await Bun.file(`/proc/${process.ppid}/comm`).text()).trim();
  } catch {
    return undefined;
  }
}

async function holds(input: AnswerInput): Promise<boolean> {
  switch (input[0]) {
    case "f": {
      const [size, mtime] = fileStamp(input[1]);
      return size === input[2] && mtime === input[3];
    }
    case "e":
      return pathState(input[1]) === input[2];
    case "p":
      return (await parentName()) === input[1];
  }
}

/**
 * Prints the kept answer of this run and returns true, or returns false (nothing printed) when
 * there is none that holds. A write that fails is left to the command, which says why.
 */
export async function replayAnswer(argv: readonly string[]): Promise<boolean> {
  if (!ANSWERED_COMMANDS.has(argv[0] ?? "") || !compiled() || !outputTakesAnswers()) return false;
  const file = answerFile(argv);
  if (!file) return false;
  let answer: Answer;
  try {
    answer = JSON.parse(new TextDecoder().decode(Bun.mmap(file))) as Answer;
  } catch {
    return false;
  }
  if (answer.v !== 1 || answer.dt !== DT_VERSION || typeof answer.out !== "string" || !Array.isArray(answer.inputs) || !Array.isArray(answer.env)) return false;
  for (const [name, digest] of answer.env) if (digestOf(process.env[name]) !== digest) return false;
  const [size, mtime] = fileStamp(process.execPath);
  if (answer.bin?.[0] !== size || answer.bin[1] !== mtime) return false;
  for (const input of answer.inputs) if (!(await holds(input))) return false;
  try {
    await Bun.write(Bun.stdout, answer.out);
  } catch {
    return false;
  }
  return true;
}

interface Recording {
  inputs: Map<string, AnswerInput>;
  env: Map<string, string | null>;
  out: string;
  /** Said something on stderr, listed or set environment variables: not to be kept. */
  spoiled: boolean;
  realEnv: NodeJS.ProcessEnv;
}

let recording: Recording | undefined;

/**
 * From here on, what this run reads (files, environment) and prints is recorded. main.ts starts
 * it before anything else loads (modules read the environment as they load); cli.ts keeps the
 * answer, or drops the recording for a command that is not answered.
 */
export function startRecording(): void {
  if (!compiled() || !outputTakesAnswers()) return;
  const realEnv = process.env;
  const rec: Recording = { inputs: new Map(), env: new Map(), out: "", spoiled: false, realEnv };
  const note = (name: string | symbol) => {
    if (typeof name === "string" && !rec.env.has(name)) rec.env.set(name, digestOf(realEnv[name]));
  };
  process.env = new Proxy(realEnv, {
    get: (target, name) => (note(name), Reflect.get(target, name)),
    has: (target, name) => (note(name), Reflect.has(target, name)),
    ownKeys: (target) => ((rec.spoiled = true), Reflect.ownKeys(target)),
    set: (target, name, value) => ((rec.spoiled = true), Reflect.set(target, name, value)),
    deleteProperty: (target, name) => ((rec.spoiled = true), Reflect.deleteProperty(target, name)),
  });
  recording = rec;
}

/** Ends the recording without keeping anything; process.env is the real one again. */
export function dropRecording(): Recording | undefined {
  const done = recording;
  recording = undefined;
  if (done) process.env = done.realEnv;
  return done;
}

/** `path` is about to be read (or stat'ed for its content's sake). */
export function noteRead(path: string): void {
  // dt itself is in every answer (`bin`).
  if (!recording || path.startsWith("/proc/") || path === process.execPath) return;
  const key = `f\0${path}`;
  if (!recording.inputs.has(key)) recording.inputs.set(key, ["f", path, ...fileStamp(path)]);
}

/** `path` is looked at: whether something is there, a file or a directory. */
export function noteLook(path: string): void {
  if (!recording || path.startsWith("/proc/")) return;
  const key = `e\0${path}`;
  if (!recording.inputs.has(key)) recording.inputs.set(key, ["e", path, pathState(path)]);
}

/** `path` is about to be stamped (stamp-cache): a directory counts by its existence there, as here. */
export function noteStamp(path: string): void {
  if (recording && pathState(path) === "dir") noteLook(path);
  else noteRead(path);
}

export function noteParentName(name: string): void {
  recording?.inputs.set("p", ["p", name]);
}

export function noteOutput(fd: number, data: string | Uint8Array): void {
  if (!recording) return;
  if (fd !== 1) recording.spoiled = true;
  else recording.out += typeof data === "string" ? data : new TextDecoder().decode(data);
}

/**
 * Ends the recording; the answer is kept (with `write`, atomic) when the run may be answered
 * again: nothing said on stderr and no file it read changed in the last 2 s.
 */
export function keepAnswer(argv: readonly string[], write: (path: string, text: string) => void, prune: (dir: string, keep: number) => void): void {
  const done = dropRecording();
  if (!done || done.spoiled) return;
  const settled = Date.now() - SETTLED_MS;
  for (const input of done.inputs.values()) if (input[0] === "f" && input[3] !== NO_FILE_MTIME && input[3] > settled) return;
  const file = answerFile(argv);
  if (!file) return;
  const answer: Answer = { v: 1, dt: DT_VERSION, bin: fileStamp(process.execPath), env: [...done.env], inputs: [...done.inputs.values()], out: done.out };
  try {
    write(file, JSON.stringify(answer));
    prune(file.slice(0, file.lastIndexOf("/")), KEPT_ANSWERS);
  } catch {
    // An unwritable cache only costs speed.
  }
}

/** Whether a recording is on (tests). */
export const isRecording = () => recording !== undefined;

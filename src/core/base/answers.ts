// `dt version`, `dt config` and `dt setenv` print what a few files say, and `dt ls` what a few
// files, git and the engine say. A run of one of them keeps its whole output with a stamp of
// every path it looked at, and the next run with the same binary, directory and arguments prints
// it again while every one of those paths, every environment variable it read, and (ls) every
// directory git walked and the engine's image events are as they were: main.ts answers then
// before the command table, node:fs or any parser is loaded.
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
// - only a run that exits 0 is kept, and only to a pipe or a file: on a terminal colours and
//   widths are the terminal's, and on /dev/null dt cannot tell a closed stdout (an error) from
//   one sent there on purpose; what it said on stderr (a warning) is kept when stderr too is
//   not a terminal, and is said again only where stderr is not one;
// - a git process is run only through a witness (workspace/repo-witness.ts) that stamps what its
//   answer depends on: the repo's index, refs and config files, each directory git walks (its
//   mtime moves when an entry is added, removed or renamed) and, for a status, each tracked
//   file; any other process spoils the recording;
// - the engine (a unix socket) holds while the last event it had buffered before the run is
//   still the first one it gives since then, with no image event after it: its buffer of 256
//   events is a queue, so that event still being there means nothing was lost in between, and a
//   restarted engine has lost it;
// - only the compiled binary keeps answers (its own size and mtime are in each one), only under
//   $XDG_CACHE_HOME or $HOME, and DT_ANSWERS=off turns them off.

import { DT_VERSION } from "./dt-version.ts";
import { isTTY } from "./tty.ts";

/** What `Bun.file(p).lastModified` says when there is nothing at p (a unit test holds Bun to it). */
export const NO_FILE_MTIME = 4503599627370495;
export const ANSWERED_COMMANDS: ReadonlySet<string> = new Set(["version", "config", "setenv", "ls"]);
const SETTLED_MS = 2000;
/**
 * The most paths a witness may note: a replay stats each (~5-10 µs with Bun.file, where git's
 * own lstat costs 1-2 µs), so beyond this a replay would cost about what git does and the
 * answer is not worth keeping (docs/benchmarks.md, issue 20).
 */
export const MOST_NOTED_PATHS = 8000;
/** How long the engine may take to say what happened since (a local engine: milliseconds). */
const ENGINE_WAIT_MS = 2000;
/** The name under which the environment variables git reads (GIT_*) are kept, as one digest. */
const GIT_VARIABLES = "GIT_*";
const KEPT_ANSWERS = 200;

type PathState = "absent" | "file" | "dir";
export type AnswerInput =
  /** A file read: its size and mtime (ms) just before. */
  | ["f", string, number, number]
  /** A path looked at: what was there. */
  | ["e", string, PathState]
  /** The name of the parent process (setenv writes for the shell that runs it). */
  | ["p", string]
  /**
   * A path whose mtime (ms) is all a witness needs: a directory git walked (its mtime moves when
   * an entry is added, removed or renamed), a file git compares (one stat, where "f" costs two).
   */
  | ["m", string, number]
  /** The engine at a unix socket: the last event it had buffered before the run, as it sent it. */
  | ["k", string, string];

export interface Answer {
  v: 2;
  dt: string;
  /** dt's own size and mtime. */
  bin: [number, number];
  /** Each environment variable the run read, with the SHA-256 of its value (null: unset): a token read is not written down. */
  env: [string, string | null][];
  inputs: AnswerInput[];
  /** What the run wrote, in order: to stdout (1) and stderr (2). */
  out: [1 | 2, string][];
}

export function pathState(path: string): PathState {
  if (Bun.file(path).lastModified === NO_FILE_MTIME) return "absent";
  // `dir/.` exists only when dir is a directory (or a link to one).
  return Bun.file(`${path}/.`).lastModified === NO_FILE_MTIME ? "file" : "dir";
}

// Bun.SHA256.hash: the same digest as a CryptoHasher, without the hasher's set-up (~0.5 ms on a replay).
const digestOf = (value: string | undefined) => (value === undefined ? null : Bun.SHA256.hash(value, "hex"));

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

/**
 * The parent's command name, read as a stream: Bun's text() of a file whose size stat does not
 * tell (procfs says 0) starts its thread pool, a few ms on two cores; a stream reads it here.
 */
async function parentName(): Promise<string | undefined> {
  try {
    const reader = Bun.file(`/proc/${process.ppid}/comm`).stream().getReader();
    let text = "";
    const decoder = new TextDecoder();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
    return text.trim();
  } catch {
    return undefined;
  }
}

/** One digest of every GIT_* variable set (git reads them; dt cannot list which). */
function gitVariables(env: Record<string, string | undefined>): string {
  const set = Object.keys(env)
    .filter((k) => k.startsWith("GIT_"))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return digestOf(set.join("\0"))!;
}

const envDigest = (name: string) => (name === GIT_VARIABLES ? gitVariables(process.env) : digestOf(process.env[name]));

/** `"since"` for the events after (and including) the event `line`, from its timeNano (beyond a double's precision). */
export function sinceOf(line: string): string | undefined {
  const nanos = /"timeNano":(\d{10,})/.exec(line)?.[1];
  return nanos && `${nanos.slice(0, -9)}.${nanos.slice(-9)}`;
}

/**
 * The engine's buffered events (from `since` on, else all) up to now, each as the JSON line it
 * sent; "absent" when there is no socket at `socket`, undefined when it does not answer that
 * (refused, a timeout, not a 200). Its own small request: the engine client is not loaded here.
 * `sent` is called once the request is written, or once it ends without being written.
 */
export function engineEvents(socket: string, since?: string, sent?: () => void): Promise<string[] | "absent" | undefined> {
  const now = Date.now();
  const until = `${Math.floor(now / 1000)}.${String(now % 1000).padStart(3, "0")}999999`;
  const path = `/events?${since ? `since=${since}&` : ""}until=${until}`;
  return new Promise((resolve) => {
    const decoder = new TextDecoder();
    let text = "";
    let done = false;
    let told = false;
    const tell = () => {
      if (!told) sent?.();
      told = true;
    };
    const finish = (value: string[] | "absent" | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      tell();
      resolve(value);
    };
    const timer = setTimeout(() => finish(undefined), ENGINE_WAIT_MS);
    Bun.connect({
      unix: socket,
      socket: {
        open: (s) => {
          s.write(`GET ${path} HTTP/1.0\r\nHost: docker\r\nUser-Agent: dt\r\n\r\n`);
          tell();
        },
        data: (_s, chunk) => void (text += decoder.decode(chunk, { stream: true })),
        close: () => {
          const head = text.indexOf("\r\n\r\n");
          const ok = head > 0 && /^HTTP\/1\.[01] 200 /.test(text) && !/\r\ntransfer-encoding:/i.test(text.slice(0, head));
          finish(ok ? text.slice(head + 4).split("\n").filter((l) => l.length > 0) : undefined);
        },
        error: () => finish(undefined),
      },
    }).then(
      (s) => (done ? s.end() : undefined),
      (e: { code?: string }) => finish(e?.code === "ENOENT" ? "absent" : undefined),
    );
  });
}

/** The engine still has `anchor` first in line since it, and no image event came after it. */
export async function engineHolds(socket: string, anchor: string, sent?: () => void): Promise<boolean> {
  const since = sinceOf(anchor);
  if (!since) {
    sent?.();
    return false;
  }
  const events = await engineEvents(socket, since, sent);
  return Array.isArray(events) && events[0] === anchor && !events.slice(1).some((e) => e.includes('"Type":"image"'));
}

/** Whether a file, path or directory input holds; the others (the parent's name, the engine) are asked for in `slowHolds`. */
function holds(input: AnswerInput): boolean {
  switch (input[0]) {
    case "f": {
      const f = Bun.file(input[1]);
      return f.lastModified === input[3] && f.size === input[2];
    }
    case "e":
      return pathState(input[1]) === input[2];
    case "m":
      return Bun.file(input[1]).lastModified === input[2];
    default:
      return true;
  }
}

async function slowHolds(input: AnswerInput, sent: () => void): Promise<boolean> {
  switch (input[0]) {
    case "p":
      return (await parentName()) === input[1];
    case "k":
      return engineHolds(input[1], input[2], sent);
    default:
      return true;
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
  if (answer.v !== 2 || answer.dt !== DT_VERSION || !Array.isArray(answer.out) || !Array.isArray(answer.inputs) || !Array.isArray(answer.env)) return false;
  if (answer.out.some(([fd]) => fd === 2) && isTTY(2)) return false;
  // The engine's answer takes longest: asked first, checked last.
  const { promise: engineAsked, resolve: requestSent } = Promise.withResolvers<void>();
  const slow = answer.inputs.filter((i) => i[0] === "k" || i[0] === "p").map((i) => slowHolds(i, requestSent));
  for (const [name, digest] of answer.env) if (envDigest(name) !== digest) return false;
  const [size, mtime] = fileStamp(process.execPath);
  if (answer.bin?.[0] !== size || answer.bin[1] !== mtime) return false;
  // The request goes out when the event loop turns: let it, so that the engine answers while
  // the stats run rather than after them.
  if (answer.inputs.some((i) => i[0] === "k")) await engineAsked;
  for (const input of answer.inputs) if (!holds(input)) return false;
  if (!(await Promise.all(slow)).every(Boolean)) return false;
  try {
    for (const [fd, text] of answer.out) await Bun.write(fd === 2 ? Bun.stderr : Bun.stdout, text);
  } catch {
    return false;
  }
  return true;
}

interface Recording {
  inputs: Map<string, AnswerInput>;
  /** The "m" inputs, kept apart: hundreds of them, each noted once by the witness that walks. */
  mtimes: AnswerInput[];
  env: Map<string, string | null>;
  out: [1 | 2, string][];
  realEnv: NodeJS.ProcessEnv;
}

let recording: Recording | undefined;

/**
 * From here on, what this run reads (files, environment) and prints is recorded. main.ts starts
 * it before anything else loads (modules read the environment as they load); cli.ts keeps the
 * answer, or drops the recording for a command that is not answered.
 */
export function startRecording(argv: readonly string[]): void {
  // Nowhere to keep it (DT_ANSWERS=off, no cache dir): a recording would only cost (dt ls's witness).
  if (!compiled() || !outputTakesAnswers() || !answerFile(argv)) return;
  const realEnv = process.env;
  const rec: Recording = { inputs: new Map(), mtimes: [], env: new Map(), out: [], realEnv };
  const note = (name: string | symbol) => {
    if (typeof name === "string" && !rec.env.has(name)) rec.env.set(name, digestOf(realEnv[name]));
  };
  process.env = new Proxy(realEnv, {
    get: (target, name) => (note(name), Reflect.get(target, name)),
    has: (target, name) => (note(name), Reflect.has(target, name)),
    ownKeys: (target) => (spoil(rec), Reflect.ownKeys(target)),
    set: (target, name, value) => (spoil(rec), Reflect.set(target, name, value)),
    deleteProperty: (target, name) => (spoil(rec), Reflect.deleteProperty(target, name)),
  });
  recording = rec;
}

/**
 * The run did something its answer cannot vouch for (listed or set environment variables, said
 * something on a terminal's stderr, ran a process unwitnessed, noted too many paths): it is not
 * kept, and nothing more is noted. `rec`: the recording that saw it, if it is still the one on.
 */
function spoil(rec: Recording | undefined = recording): void {
  if (rec !== undefined && rec === recording) dropRecording();
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

/** The answer depends on `path` as git sees it: a directory's entries (git walked it), a file's mtime (git compares it). */
export function noteMtime(path: string): void {
  const rec = recording;
  if (!rec) return;
  if (rec.mtimes.length >= MOST_NOTED_PATHS) spoil(rec);
  else rec.mtimes.push(["m", path, Bun.file(path).lastModified]);
}

/** A git process is about to run: it reads every GIT_* variable, which the proxy cannot see. */
export function noteGitVariables(): void {
  if (recording) recording.env.set(GIT_VARIABLES, gitVariables(recording.realEnv));
}

/** The run did something its answer cannot vouch for (see spoil). */
export const spoilRecording = (): void => spoil();

/** The environment without the recording's proxy: for a child process, which gets all of it. */
export const unrecordedEnv = (): NodeJS.ProcessEnv => recording?.realEnv ?? process.env;

/**
 * The engine at `host` is about to be asked about images: the last event it has buffered is the
 * answer's witness (see above), taken before any question so that a change made meanwhile comes
 * after it. No socket there is a witness too (an engine started later has one). The promise
 * settles once it is noted; `reached` then says whether the run's own questions were answered,
 * and an answer whose engine changed its mind in between is not kept.
 */
export async function watchEngine(host: string, reached: Promise<boolean>): Promise<void> {
  const rec = recording;
  if (!rec) return;
  const socket = host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
  const events = socket ? await engineEvents(socket) : undefined;
  const answered = await reached;
  if (socket && events === "absent" && !answered) rec.inputs.set(`e\0${socket}`, ["e", socket, "absent"]);
  else if (socket && Array.isArray(events) && events.length > 0 && answered) rec.inputs.set(`k\0${socket}`, ["k", socket, events.at(-1)!]);
  else spoil(rec);
}

export function noteOutput(fd: number, data: string | Uint8Array): void {
  if (!recording) return;
  if (fd !== 1 && (fd !== 2 || isTTY(2))) spoil();
  else recording.out.push([fd, typeof data === "string" ? data : new TextDecoder().decode(data)]);
}

/**
 * Ends the recording; the answer is kept (with `write`, atomic) when the run may be answered
 * again: nothing spoilt it and no file or directory it read changed in the last 2 s.
 */
export function keepAnswer(argv: readonly string[], write: (path: string, text: string) => void, prune: (dir: string, keep: number) => void): void {
  const done = dropRecording();
  if (!done) return;
  const settled = Date.now() - SETTLED_MS;
  const inputs = [...done.inputs.values(), ...done.mtimes];
  for (const input of inputs) {
    if (input[0] === "f" && input[3] !== NO_FILE_MTIME && input[3] > settled) return;
    if (input[0] === "m" && input[2] !== NO_FILE_MTIME && input[2] > settled) return;
  }
  const file = answerFile(argv);
  if (!file) return;
  const answer: Answer = { v: 2, dt: DT_VERSION, bin: fileStamp(process.execPath), env: [...done.env], inputs, out: done.out };
  try {
    write(file, JSON.stringify(answer));
    prune(file.slice(0, file.lastIndexOf("/")), KEPT_ANSWERS);
  } catch {
    // An unwritable cache only costs speed.
  }
}

/** Whether a recording is on (a spoilt one is off: a witness need not note more for it). */
export const isRecording = () => recording !== undefined;

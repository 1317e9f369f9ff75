// dt in the background, for tests that signal it, stop the engine under it, or wait for a line
// it prints (a URL, a progress line). Its stdout and stderr are read to the end from the start,
// into buffers the test polls: a test never reads the pipes itself, so no read is abandoned
// half-way (an abandoned read() keeps the chunk it later receives, and that output is lost).
import { dtArgv, type DtResult } from "./dt.ts";
import { gitEnv } from "./fixtures.ts";

export interface Background {
  proc: ReturnType<typeof Bun.spawn>;
  /** Resolves when dt exits and both pipes are drained, with everything it printed. */
  done: Promise<DtResult>;
  /** What dt printed so far on stderr (for "has it reached step X yet"). */
  stderrSoFar(): string;
  stdoutSoFar(): string;
}

const live = new Set<ReturnType<typeof Bun.spawn>>();

/** SIGKILLs every background dt of this file still running (a failed test's leftovers); for afterEach. */
export function killStragglers(): void {
  for (const proc of live) if (proc.exitCode === null) proc.kill("SIGKILL");
  live.clear();
}

/**
 * Stops a background dt the way a user would (SIGINT, so it removes its container), then
 * SIGKILL if it has not exited within `graceMs`; waits for the exit. For `finally` blocks.
 */
export async function stop(bg: Background, graceMs = 15_000): Promise<void> {
  if (bg.proc.exitCode === null) {
    bg.proc.kill("SIGINT");
    const exited = await Promise.race([bg.proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!exited) bg.proc.kill("SIGKILL");
  }
  await bg.done;
}

/** dt started in the background, with the same environment as `dt()` of dt.ts. */
export function spawnDt(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Background {
  const env: Record<string, string> = { ...gitEnv(), NO_COLOR: "1" };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const started = performance.now();
  const proc = Bun.spawn([...dtArgv(), ...args], { cwd: options.cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  live.add(proc);
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
    add(decoder.decode());
  };
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = Promise.all([
    collect(proc.stdout as ReadableStream<Uint8Array>, (s) => (out += s)),
    collect(proc.stderr as ReadableStream<Uint8Array>, (s) => (err += s)),
    proc.exited,
  ]).then(([, , code]) => {
    clearTimeout(timer);
    live.delete(proc);
    return { code, stdout: out, stderr: err, ms: performance.now() - started };
  });
  return { proc, done, stderrSoFar: () => err, stdoutSoFar: () => out };
}

/** Polls `check` every 100 ms until it is truthy; throws naming `what` after `ms`. */
export async function waitUntil<T>(what: string, ms: number, check: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/**
 * The first match of `pattern` in what `bg` printed on stderr. Fails at once, with everything
 * dt printed, if dt exits without printing it; and the same after `ms`.
 */
export async function waitForStderr(bg: Background, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  let exited = false;
  void bg.done.then(() => (exited = true));
  const deadline = Date.now() + ms;
  for (;;) {
    // Read the flag before the buffer: once dt has exited, the buffer is complete.
    const finished = exited;
    const m = bg.stderrSoFar().match(pattern);
    if (m) return m;
    if (finished || Date.now() > deadline) {
      const why = finished ? `dt exited with ${bg.proc.exitCode}` : `timed out after ${ms} ms`;
      throw new Error(`${why} before printing ${pattern} on stderr; it printed:\n${bg.stdoutSoFar()}\n${bg.stderrSoFar()}`);
    }
    await Bun.sleep(50);
  }
}

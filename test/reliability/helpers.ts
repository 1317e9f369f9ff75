// Shared helpers of the reliability suite: dt in the background (to signal it or to stop the
// engine under it), polling, and the leftovers an interrupted dt must not leave.
import type Docker from "dockerode";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { dtArgv, type DtResult } from "../support/dt.ts";
import { gitEnv } from "../support/fixtures.ts";

export interface Background {
  proc: ReturnType<typeof Bun.spawn>;
  /** Resolves when dt exits, with everything it printed. */
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

/** dt started in the background, with the same environment as `dt()` of test/support/dt.ts. */
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

/** Containers carrying dt's workspace label for `root` on the engine `api`, in any state. */
export async function dtContainers(api: Docker, root: string) {
  return api.listContainers({ all: true, filters: { label: [`dev.dt.workspace=${root}`] } });
}

export async function runningDtContainers(api: Docker, root: string) {
  return (await dtContainers(api, root)).filter((c) => c.State === "running");
}

/** Every file under `dir` whose name is a writeFileAtomic temp file (`.NAME.dt-PID-TIME.tmp`) or ends in .tmp. */
export function tempLeftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (/\.dt-\d+-\d+\.tmp$/.test(entry.name) || entry.name.endsWith(".tmp"))) {
      found.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
    }
  }
  return found;
}

/** A short random suffix for image and repository names, so concurrent runs never collide. */
export const suffix = () => Math.random().toString(36).slice(2, 8);

/** One changelog entry, valid for parseChangelog. */
export const changelog = (name: string, version = "0.1.0") => `# ${name}-${version}\n- 2026-11-20\n- Initial\n`;

/** The fast suite with a long per-test timeout, for tests that sleep on purpose. */
export const LONG_FAST_SUITE = 'test:\n  suites:\n    fast: {marker: "not slow and not superslow", timeout: 600}\n';

// `tasks:` of dt.yaml: named shell lines run in the target dir (or the workspace root) with the
// workspace's environment. A task is a string or a list of strings; each string is one shell
// line, run with `sh -c` because tasks are written as shell by nature (pipes, &&, globs,
// variables). That is the one place dt hands a string to a shell: every other spawn is argv.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedConfig } from "../config/config.ts";
import { suggestion } from "../base/did-you-mean.ts";
import { usageError } from "../base/errors.ts";
import { onCleanup } from "../base/lifecycle.ts";
import { applyWorkspaceEnv, prependMissing, quoteSh, type WorkspaceEnv } from "../shell/setenv.ts";

export interface Task {
  name: string;
  steps: string[];
  /** Where it is defined: `dt.yaml:LINE` or `DIR/dt.yaml:LINE`. */
  source: string;
}

/** The tasks of a resolved config (root and target dir merged), in definition order. */
export function listTasks(resolved: ResolvedConfig): Task[] {
  return Object.entries(resolved.config.tasks ?? {}).map(([name, value]) => ({
    name,
    steps: typeof value === "string" ? [value] : [...value],
    source: resolved.sources[`tasks.${name}`] ?? "dt.yaml",
  }));
}

const listing = (tasks: readonly Task[]) =>
  tasks.length ? `tasks: ${tasks.map((t) => t.name).join(", ")}` : "no tasks are defined; add them under 'tasks:' in dt.yaml";

export function findTask(tasks: readonly Task[], name: string): Task {
  const task = tasks.find((t) => t.name === name);
  if (task) return task;
  throw usageError(`unknown task '${name}'.${suggestion(name, tasks.map((t) => t.name))}`, { hint: listing(tasks) });
}

export function noTaskError(tasks: readonly Task[]) {
  return usageError("no task to run", { hint: tasks.length ? `dt run TASK; ${listing(tasks)}` : listing(tasks) });
}

/** The steps to run: `args` shell-quoted and appended to the last step. */
export function stepsWithArgs(task: Task, args: readonly string[]): string[] {
  const steps = task.steps.filter((s) => s.trim() !== "");
  if (args.length === 0 || steps.length === 0) return steps;
  const last = steps.length - 1;
  steps[last] = `${steps[last]} ${args.map(quoteSh).join(" ")}`;
  return steps;
}

/** How to start the dt that is running now: the compiled binary, or bun with the entry script. */
function selfArgv(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(main);
  return compiled ? [process.execPath] : [process.execPath, main];
}

/**
 * A temp dir holding only a `dt` that starts this very dt, put first on the steps' PATH: a step
 * `dt ...` (or a script it runs) gets the same binary, whatever this one is named or wherever
 * it lives, and no other program of its dir is put ahead of the user's PATH.
 */
export function makeSelfShim(argv: readonly string[] = selfArgv()): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dt-run-"));
  const file = join(dir, "dt");
  writeFileSync(file, `#!/bin/sh\nexec ${argv.map(quoteSh).join(" ")} "$@"\n`);
  chmodSync(file, 0o755);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onCleanup(removeDir);
  return {
    dir,
    remove: () => {
      unregister();
      removeDir();
    },
  };
}

/** The steps' environment: the workspace's (as `dt setenv` sets it), with the dt shim first on PATH. */
export function taskEnv(base: Record<string, string | undefined>, ws: WorkspaceEnv, shimDir?: string): Record<string, string> {
  const env = applyWorkspaceEnv(base, ws);
  if (shimDir) env.PATH = prependMissing(env.PATH, [shimDir]);
  return env;
}

export interface TaskRun {
  /** 0, or the exit code of the first failing step. */
  code: number;
  /** 1-based number of the failing step. */
  failedStep?: number;
}

const signalCode = (signal: string | number | null | undefined) =>
  typeof signal === "number" ? 128 + signal : signal ? 128 + ((constants.signals as Record<string, number>)[signal] ?? 0) : undefined;

/** Runs the steps in order with inherited stdio, stopping at the first that fails. */
export async function runSteps(
  steps: readonly string[],
  options: { cwd: string; env: Record<string, string>; onStep?: (step: string, index: number) => void },
): Promise<TaskRun> {
  for (const [i, step] of steps.entries()) {
    options.onStep?.(step, i);
    const proc = Bun.spawn(["sh", "-c", step], { cwd: options.cwd, env: options.env, stdio: ["inherit", "inherit", "inherit"] });
    // The terminal sends Ctrl-C to the step's processes itself; when dt is stopped otherwise
    // (SIGTERM), the step's whole process tree is stopped, not only its `sh`.
    const unregister = onCleanup(() => killTree(proc.pid));
    const exit = await proc.exited;
    unregister();
    const code = signalCode(proc.signalCode) ?? exit;
    if (code !== 0) return { code, failedStep: i + 1 };
  }
  return { code: 0 };
}

/** SIGTERM to `pid` and every process below it (ps lists them on Linux and macOS alike). */
function killTree(pid: number): void {
  const listed = Bun.spawnSync(["ps", "-A", "-o", "pid=", "-o", "ppid="], { stdout: "pipe", stderr: "ignore" });
  const children = new Map<number, number[]>();
  for (const line of listed.stdout.toString().split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child && parent) children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const tree: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  for (const p of tree) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

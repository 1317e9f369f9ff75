import { DtError, ExitCode, envError } from "../base/errors.ts";
import { run, type RunResult } from "../base/process.ts";
import { redactUrls } from "../base/url.ts";

/** Options every git call of dt carries: no pager, no prompts, stable output. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C" };

export async function gitRaw(args: readonly string[], cwd: string, options: { witnessed?: boolean } = {}): Promise<RunResult> {
  try {
    return await run(["git", ...args], { cwd, env: GIT_ENV, witnessed: options.witnessed });
  } catch (e) {
    if (e instanceof DtError) {
      throw envError("git is not installed or not on PATH", { hint: "install git (Debian: apt-get install git)" });
    }
    throw e;
  }
}

/**
 * The last lines of git's stderr on one line: where git says what went wrong, short enough for
 * a message; URLs in it without their credentials.
 */
export const stderrTail = (stderr: string) => redactUrls(stderr.trim().split("\n").slice(-3).join(" / "));

/** Runs git and returns stdout; a non-zero exit is an error naming the command and git's words. */
export async function git(args: readonly string[], cwd: string, exitCode: ExitCode = ExitCode.failed) {
  const result = await gitRaw(args, cwd);
  if (result.code !== 0) {
    throw new DtError(exitCode, `git ${redactUrls(args.join(" "))} failed in ${cwd} (exit ${result.code}): ${stderrTail(result.stderr)}`);
  }
  return result.stdout;
}

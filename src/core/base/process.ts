import { spoilRecording, unrecordedEnv } from "./answers.ts";
import { envError } from "./errors.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  /**
   * What this process says is vouched for by a witness of what it reads (answers.ts), so that a
   * remembered answer may rest on it; any other process keeps the run from being remembered.
   */
  witnessed?: boolean;
}

/** Runs a program from an argv array (never a shell string) and collects its output. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  let proc: Bun.Subprocess<"pipe" | "ignore", "pipe", "pipe">;
  if (!options.witnessed) spoilRecording();
  try {
    proc = Bun.spawn([...argv], {
      cwd: options.cwd,
      env: { ...unrecordedEnv(), ...options.env },
      stdin: options.stdin === undefined ? "ignore" : "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (cause) {
    throw envError(`cannot run '${argv[0]}': it is not installed or not on PATH`, {
      hint: `install ${argv[0]} (Debian: apt-get install ${argv[0]})`,
      cause,
    });
  }
  if (options.stdin !== undefined && proc.stdin && typeof proc.stdin !== "number") {
    proc.stdin.write(options.stdin);
    proc.stdin.end();
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

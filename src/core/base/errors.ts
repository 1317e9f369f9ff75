/** Exit codes of the SPEC, plus the two signal codes every Unix tool has (143 SIGTERM, 141 SIGPIPE). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  interrupted: 130,
  terminated: 143,
  /** stdout or stderr was closed by its reader (`dt ls | head -1`); said nothing. */
  brokenPipe: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface DtErrorOptions {
  /** The command or step that fixes it, printed on its own line. */
  hint?: string;
  /** `path:line[:col]` of the offending input, when there is one. */
  where?: string;
  cause?: unknown;
}

/**
 * The one error type of dt. Core code throws it; the top level prints it once and exits with
 * its code. Anything else that escapes is an internal error.
 */
export class DtError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  readonly where?: string;

  constructor(exitCode: ExitCode, message: string, options: DtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DtError";
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.where = options.where;
  }
}

export const usageError = (message: string, options?: DtErrorOptions) =>
  new DtError(ExitCode.usage, message, options);
export const envError = (message: string, options?: DtErrorOptions) =>
  new DtError(ExitCode.environment, message, options);
export const workError = (message: string, options?: DtErrorOptions) =>
  new DtError(ExitCode.failed, message, options);

/** Several input problems reported at once (config validation collects them all). */
export class DtErrors extends DtError {
  readonly problems: readonly DtError[];
  constructor(problems: readonly DtError[]) {
    const first = problems[0];
    super(first?.exitCode ?? ExitCode.usage, problems.map(formatProblem).join("\n"), {
      hint: first?.hint,
    });
    this.problems = problems;
  }
}

function formatProblem(e: DtError): string {
  return e.where ? `${e.where}: ${e.message}` : e.message;
}

export const isDtError = (e: unknown): e is DtError => e instanceof DtError;

import type * as NodeFs from "node:fs";
import { noteOutput } from "../core/base/answers.ts";
import { workError } from "../core/base/errors.ts";

// node:fs costs ~5 ms to load in a compiled binary (bench/startup.sh), a quarter of dt's whole
// start-up; `dt --help` and `dt --version` never touch it, so it loads on first use.
let loaded: typeof NodeFs | undefined;
const fs = () => (loaded ??= require("node:fs") as typeof NodeFs);

// Terminal and output primitives that avoid `process.stdout`/`process.stderr` (see core/base/tty.ts).
export { isTTY } from "../core/base/tty.ts";

/**
 * Writes all of `data` to `fd`, waiting out EAGAIN on a non-blocking pipe. Results that cannot
 * reach stdout (a full disk, an I/O error, stdout closed) are a failure of the command, said
 * on stderr; EPIPE, a reader that went away, is left to the top level (exit 141, silent).
 */
export function writeAll(fd: number, data: string | Uint8Array): void {
  noteOutput(fd, data);
  if (fd === 1 && stdoutWasClosed()) {
    throw workError("cannot write the output: stdout is closed", { hint: "give dt somewhere to write: a file, a pipe or the terminal" });
  }
  let buffer = typeof data === "string" ? Buffer.from(data) : data;
  while (buffer.length > 0) {
    try {
      const n = fs().writeSync(fd, buffer);
      buffer = buffer.subarray(n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Bun.sleepSync(1);
        continue;
      }
      if (fd !== 1 || code === "EPIPE") throw e;
      throw workError(`cannot write the output (${code ?? "error"}: ${(e as Error).message.replace(/^\w+: /, "").replace(/, write$/, "")})`, {
        hint: "free space where the output goes, or send it elsewhere",
        cause: e,
      });
    }
  }
}

let closedAtStart: boolean | undefined;

/**
 * dt was started with stdout closed (`dt ls >&-`). Bun then opens /dev/null as fd 1, and the
 * output would vanish with exit 0. Its stand-in is close-on-exec, which no inherited fd 1 can be
 * (it would not have survived the exec): that flag in /proc tells the two apart. Linux only.
 */
function stdoutWasClosed(): boolean {
  if (closedAtStart !== undefined) return closedAtStart;
  closedAtStart = false;
  try {
    const flags = /^flags:\s+([0-7]+)$/m.exec(fs().readFileSync("/proc/self/fdinfo/1", "utf8"))?.[1];
    if (flags !== undefined) closedAtStart = (parseInt(flags, 8) & 0o2000000) !== 0;
  } catch {
    // No /proc (macOS): nothing to tell.
  }
  return closedAtStart;
}

/** stdin is /dev/null (CI, hyperfine, `< /dev/null`): nothing to attach. */
export function stdinIsNull(): boolean {
  try {
    const a = fs().fstatSync(0);
    const b = fs().statSync("/dev/null");
    return a.rdev === b.rdev && a.ino === b.ino;
  } catch {
    return true;
  }
}

import type * as NodeFs from "node:fs";

// node:fs costs ~5 ms to load in a compiled binary (bench/startup.sh), a quarter of dt's whole
// start-up; `dt --help` and `dt --version` never touch it, so it loads on first use.
let loaded: typeof NodeFs | undefined;
const fs = () => (loaded ??= require("node:fs") as typeof NodeFs);

/**
 * Terminal and output primitives that avoid `process.stdout`/`process.stderr`: in a compiled
 * Bun binary their first use costs about 20 ms each, which would double dt's start-up.
 */
export function isTTY(fd: 0 | 1 | 2): boolean {
  try {
    return Boolean((process as unknown as { binding(name: string): { isTTY(fd: number): boolean } }).binding("tty_wrap").isTTY(fd));
  } catch {
    return false;
  }
}

/** Writes all of `data` to `fd`, waiting out EAGAIN on a non-blocking pipe. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  let buffer = typeof data === "string" ? Buffer.from(data) : data;
  while (buffer.length > 0) {
    try {
      const n = fs().writeSync(fd, buffer);
      buffer = buffer.subarray(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Bun.sleepSync(1);
    }
  }
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

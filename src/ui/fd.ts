import { fstatSync, statSync, writeSync } from "node:fs";

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
      const n = writeSync(fd, buffer);
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
    const a = fstatSync(0);
    const b = statSync("/dev/null");
    return a.rdev === b.rdev && a.ino === b.ino;
  } catch {
    return true;
  }
}

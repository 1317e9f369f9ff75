/**
 * Whether `fd` is a terminal, without `process.stdout`/`process.stderr`: in a compiled Bun
 * binary their first use costs about 20 ms each, which would double dt's start-up.
 */
export function isTTY(fd: 0 | 1 | 2): boolean {
  try {
    return Boolean((process as unknown as { binding(name: string): { isTTY(fd: number): boolean } }).binding("tty_wrap").isTTY(fd));
  } catch {
    return false;
  }
}

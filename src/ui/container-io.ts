import type { OutputSink } from "../core/engine/engine.ts";
import type { ContainerIO } from "../core/run/containers.ts";
import { isTTY, stdinIsNull, writeAll } from "./fd.ts";

/**
 * A container's output written straight to a file descriptor, unbuffered: each write is done
 * when it returns, so it never asks the copy to wait. (No node:stream: loading it costs a few
 * ms of every `dt docker cmd`.) A write that fails (the reader went away) throws, which ends
 * the copy.
 */
function fdSink(fd: number): OutputSink {
  return {
    write(chunk) {
      writeAll(fd, chunk);
      return true;
    },
    on: () => undefined,
    off: () => undefined,
  };
}

/**
 * dt's own stdio for a container (`dt docker bash|cmd|jupyter`): a TTY when the command is
 * interactive and dt has one on both ends; stdin attached when interactive, or when it is a
 * pipe or file with something to read (not /dev/null, as under CI or hyperfine).
 */
export function terminalIO(options: { interactive: boolean }): ContainerIO {
  const tty = options.interactive && isTTY(0) && isTTY(1);
  const attachStdin = options.interactive || (!isTTY(0) && !stdinIsNull());
  return {
    tty,
    stdin: attachStdin ? process.stdin : null,
    stdout: fdSink(1),
    stderr: fdSink(2),
    terminal: tty
      ? {
          raw: () => {
            if (!process.stdin.isTTY) return () => {};
            process.stdin.setRawMode(true);
            return () => process.stdin.setRawMode(false);
          },
          size: () => ({ rows: process.stdout.rows, columns: process.stdout.columns }),
          onResize: (listener) => {
            process.stdout.on("resize", listener);
            return () => process.stdout.off("resize", listener);
          },
        }
      : undefined,
  };
}

import { Writable } from "node:stream";
import type { ContainerIO } from "../core/run/containers.ts";
import { isTTY, stdinIsNull, writeAll } from "./fd.ts";

/** A Writable over a file descriptor (a container's output passed through unbuffered). */
function fdWritable(fd: number): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      try {
        writeAll(fd, chunk as Uint8Array);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
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
    stdout: fdWritable(1),
    stderr: fdWritable(2),
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

// An attached container's streams over a connection dt took over (engine-socket.ts): what the
// engine sends goes to the caller's stdout and stderr, what the caller writes goes to the
// container's stdin, and the end of that input half-closes the connection, which the engine
// passes on as the end of stdin.
import type { Writable } from "node:stream";
import type { Attached, AttachStreams, OutputSink } from "./engine.ts";
import type { Exchange } from "./engine-socket.ts";

/**
 * Splits the engine's multiplexed stream (a container without a TTY): frames of an 8-byte
 * header (the stream: 1 stdout, 2 stderr, 3 the engine's own error; 3 bytes of zero; the
 * payload's length, big-endian) and the payload. Frames cross chunk boundaries freely.
 */
export class FrameSplitter {
  private readonly header = new Uint8Array(8);
  private headerFill = 0;
  private stream: "stdout" | "stderr" = "stdout";
  private left = 0;

  /** The payload parts in `chunk`, in order; each a view into `chunk`. */
  split(chunk: Uint8Array): [stream: "stdout" | "stderr", bytes: Uint8Array][] {
    const parts: ["stdout" | "stderr", Uint8Array][] = [];
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.left === 0) {
        const take = Math.min(8 - this.headerFill, chunk.byteLength - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        if (this.headerFill < 8) break;
        this.headerFill = 0;
        this.stream = this.header[0] === 2 || this.header[0] === 3 ? "stderr" : "stdout";
        this.left = new DataView(this.header.buffer).getUint32(4);
        continue;
      }
      const n = Math.min(this.left, chunk.byteLength - at);
      parts.push([this.stream, chunk.subarray(at, at + n)]);
      this.left -= n;
      at += n;
    }
    return parts;
  }
}

/** Writes, and waits while the sink wants no more, so a slow reader slows the copy, not memory. */
function write(to: OutputSink, bytes: Uint8Array): Promise<void> | undefined {
  if (to.write(bytes)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      to.off("drain", done);
      to.off("close", done);
      to.off("error", done);
      resolve();
    };
    to.on("drain", done);
    to.on("close", done);
    to.on("error", done);
  });
}

/** The caller's side of an attach: output copied out until the connection ends, input in. */
export function attachedStreams(connection: Exchange, streams: AttachStreams): Attached {
  const splitter = streams.tty ? null : new FrameSplitter();
  const ended = (async () => {
    try {
      for await (const chunk of connection.body) {
        if (!splitter) {
          await write(streams.stdout, chunk);
          continue;
        }
        for (const [name, bytes] of splitter.split(chunk)) await write(name === "stdout" ? streams.stdout : streams.stderr, bytes);
      }
    } catch {
      // The connection broke, or the output's reader went away: stop reading, so the engine
      // never holds the container's output for a reader that is gone. How the container
      // ended is the wait's to tell.
      connection.close();
    }
  })();
  if (!streams.stdin) return { input: null, ended };
  // node:stream only when there is input to give (a pipe, a terminal): not for `cmd -- true`.
  const { Writable: WritableClass } = require("node:stream") as typeof import("node:stream");
  const input: Writable = new WritableClass({
    write(chunk: Uint8Array, _encoding, done) {
      connection.write(chunk).then(() => done(), done);
    },
    final(done) {
      connection.endInput();
      done();
    },
  });
  // Input to a container that is gone goes nowhere; the wait reports how it ended.
  input.on("error", () => {});
  return { input, ended };
}

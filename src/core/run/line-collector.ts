import { Writable } from "node:stream";

/** A container's output kept whole, each complete line also handed to `onLine` as it comes. */
export function lineCollector(onLine: (line: string) => void = () => {}) {
  let all = "";
  let partial = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      const text = chunk.toString();
      all += text;
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
      done();
    },
  });
  return { stream, text: () => all, flush: () => partial && onLine(partial) };
}

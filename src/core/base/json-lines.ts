/**
 * Reads a stream of newline-separated JSON objects (the engine's build, pull and push
 * progress) and calls `onObject` for each. A line that is not JSON is passed as `{ raw }`.
 */
export async function readJsonLines(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>, onObject: (obj: Record<string, any>) => void): Promise<void> {
  let buffer = "";
  const decoder = new TextDecoder();
  const flush = (line: string) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    try {
      onObject(JSON.parse(trimmed) as Record<string, any>);
    } catch {
      onObject({ raw: trimmed });
    }
  };
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      flush(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
    }
  }
  flush(buffer);
}

// The engine's HTTP/1.1 answers as dt's own socket client reads them (engine-socket.ts,
// upload.ts): parsed as the bytes arrive, so a streamed body (build progress, an attached
// container's output) is handed on chunk by chunk rather than held until the end.

export const connectionClosed = () => Object.assign(new Error("the engine closed the connection"), { code: "ECONNRESET" });

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

export interface ResponseHead {
  status: number;
  headers: Map<string, string>;
}

/**
 * An HTTP/1.1 response parsed as its bytes arrive: the head, then the body by chunked encoding,
 * Content-Length or the connection's end. After a `101 Switching Protocols` (an attach's
 * hijack) every later byte is the raw stream, until the connection ends.
 */
export class ResponseReader {
  readonly head: Promise<ResponseHead>;
  readonly body: AsyncIterable<Uint8Array>;
  private resolveHead!: (head: ResponseHead) => void;
  private rejectHead!: (error: unknown) => void;
  private pending = Buffer.alloc(0);
  private parsedHead: ResponseHead | null = null;
  private mode: "chunked" | "length" | "close" = "close";
  /** Content-Length mode: body bytes still to come. */
  private remaining = 0;
  /** Chunked encoding: bytes of the current chunk still to come, or -1 while reading a size line. */
  private chunkLeft = -1;
  private done = false;
  private queue = new ByteQueue();

  constructor() {
    this.head = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    this.head.catch(() => {});
    this.body = this.queue;
  }

  /** Whether the whole response has been read. */
  get complete(): boolean {
    return this.done;
  }

  feed(data: Uint8Array): void {
    // Copied: the socket may reuse the memory it lends once this returns.
    this.pending = this.pending.byteLength === 0 ? Buffer.from(data) : Buffer.concat([this.pending, data]);
    try {
      if (!this.parsedHead && !this.readHead()) return;
      this.readBody();
    } catch (error) {
      this.fail(error);
    }
  }

  end(): void {
    if (!this.parsedHead) return this.fail(connectionClosed());
    if (this.mode === "close") return this.finish();
    if (!this.done) this.fail(Object.assign(new Error("the engine closed the connection mid-response"), { code: "ECONNRESET" }));
  }

  fail(error: unknown): void {
    this.rejectHead(error);
    this.queue.fail(error);
    this.done = true;
  }

  private finish(): void {
    this.done = true;
    this.queue.end();
  }

  private readHead(): boolean {
    const end = this.pending.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const lines = this.pending.subarray(0, end).toString("latin1").split("\r\n");
    this.pending = this.pending.subarray(end + 4);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!status) throw new Error(`the engine answered with something that is not HTTP: ${JSON.stringify(lines[0])}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const code = Number(status[1]);
    if (code === 204 || code === 304) {
      // No body by definition; waiting for the connection's end would cost a round trip.
      this.mode = "length";
      this.remaining = 0;
    } else if (code !== 101 && /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) this.mode = "chunked";
    else if (code !== 101 && headers.has("content-length")) {
      this.mode = "length";
      this.remaining = Number(headers.get("content-length"));
    }
    this.parsedHead = { status: code, headers };
    this.resolveHead(this.parsedHead);
    return true;
  }

  private readBody(): void {
    if (this.done) return;
    if (this.mode === "close") return this.take(this.pending.byteLength);
    if (this.mode === "length") {
      this.take(Math.min(this.remaining, this.pending.byteLength));
      if (this.remaining === 0) this.finish();
      return;
    }
    while (!this.done) {
      if (this.chunkLeft < 0) {
        const eol = this.pending.indexOf("\r\n");
        if (eol < 0) return;
        const size = Number.parseInt(this.pending.subarray(0, eol).toString("latin1"), 16);
        if (Number.isNaN(size)) throw new Error("the engine sent a malformed chunked response");
        this.pending = this.pending.subarray(eol + 2);
        // The last chunk: what follows (trailers) does not matter to dt.
        if (size === 0) return this.finish();
        this.chunkLeft = size + 2;
      }
      const body = Math.min(this.chunkLeft - 2, this.pending.byteLength);
      if (body > 0) {
        this.take(body);
        this.chunkLeft -= body;
      }
      if (this.chunkLeft > 2 || this.pending.byteLength < 2) return;
      this.pending = this.pending.subarray(2);
      this.chunkLeft = -1;
    }
  }

  private take(n: number): void {
    if (n === 0) return;
    this.queue.push(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    this.remaining -= n;
  }
}

/** An async iterable fed by pushes: what arrives before anyone reads waits in order. */
class ByteQueue implements AsyncIterable<Uint8Array> {
  private items: Uint8Array[] = [];
  private ended = false;
  private error: unknown = null;
  private waiter: (() => void) | null = null;

  push(item: Uint8Array): void {
    this.items.push(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.error = error;
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const item = this.items.shift();
      if (item) {
        yield item;
        continue;
      }
      if (this.ended) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

// One streamed POST to the engine over its plain socket (unix:// or unencrypted tcp://), with a
// body of lent chunks: each is written with Bun's unbuffered socket write, so the buffer is
// free again as soon as the write returns and the tar writer can reuse it (tar-writer.ts).
// Node's http client (dockerode) keeps every chunk it is given until it is sent, which forces
// a fresh buffer per chunk. TLS and ssh engines still go through dockerode.
import type { SocketHandler } from "bun";
import { engineBodyMessage } from "./engine-errors.ts";
import { hostPort, type PlainEngineAddress } from "./engine-host.ts";

export interface EngineResponse {
  status: number;
  /** The response body as it arrives, chunked transfer encoding undone. */
  body: AsyncIterable<Uint8Array>;
}

export interface Upload {
  /** Path and query, e.g. `/build?t=x`. */
  path: string;
  contentType: string;
  /** The exact byte length of `body` (sent as Content-Length). */
  length: number;
  /** Chunks valid until the next is asked for. */
  body: Iterable<Uint8Array>;
}

/**
 * Sends `upload` and resolves with the response once its head has arrived and the whole body
 * has been written. A status of 400 or more rejects with `statusCode` and the engine's message
 * (what engineError reads from dockerode's errors too); a connection that fails rejects with its errno `code`.
 */
export async function postUpload(address: PlainEngineAddress, upload: Upload): Promise<EngineResponse> {
  const response = new ResponseReader();
  let drained: (() => void) | null = null;
  const wake = () => {
    const resume = drained;
    drained = null;
    resume?.();
  };
  const handlers: SocketHandler = {
    data: (_s, data) => response.feed(data),
    drain: wake,
    close: () => {
      response.end();
      wake();
    },
    error: (_s, error) => {
      response.fail(error);
      wake();
    },
  };
  const socket = await ("unix" in address ? Bun.connect({ unix: address.unix, socket: handlers }) : Bun.connect({ ...address, socket: handlers }));

  let connectionLost = false;
  const writeAll = async (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.byteLength; ) {
      const n = socket.write(bytes, done, bytes.byteLength - done);
      if (n < 0) {
        connectionLost = true;
        throw connectionClosed();
      }
      done += n;
      if (done < bytes.byteLength) await new Promise<void>((resolve) => (drained = resolve));
    }
  };
  try {
    await writeAll(new TextEncoder().encode(requestHead(address, upload)));
    let total = 0;
    for (const chunk of upload.body) {
      total += chunk.byteLength;
      await writeAll(chunk);
    }
    if (total !== upload.length) throw new Error(`sent ${total} bytes where ${upload.length} were announced`);
  } catch (error) {
    // The body's own failure (a file that shrank): the engine must not build a cut context.
    if (!connectionLost) {
      socket.terminate();
      throw error;
    }
    // The engine stopped reading; the answer it sent before closing, if any, says why.
    await response.head.catch(() => Promise.reject(error));
  }
  const head = await response.head;
  if (head.status >= 400) {
    const text = new TextDecoder().decode(await collect(response.body));
    socket.end();
    throw Object.assign(new Error(engineBodyMessage(text).trim() || `HTTP ${head.status}`), { statusCode: head.status });
  }
  return { status: head.status, body: response.body };
}

function requestHead(address: PlainEngineAddress, upload: Upload): string {
  const host = "unix" in address ? "docker" : hostPort(address);
  return [
    `POST ${upload.path} HTTP/1.1`,
    `Host: ${host}`,
    "User-Agent: dt",
    `Content-Type: ${upload.contentType}`,
    `Content-Length: ${upload.length}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
}

const connectionClosed = () => Object.assign(new Error("the engine closed the connection"), { code: "ECONNRESET" });

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

interface ResponseHead {
  status: number;
  headers: Map<string, string>;
}

/**
 * An HTTP/1.1 response parsed as its bytes arrive: the head, then the body by chunked encoding,
 * Content-Length or the connection's end.
 */
class ResponseReader {
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

  feed(data: Uint8Array): void {
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
    if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) this.mode = "chunked";
    else if (headers.has("content-length")) {
      this.mode = "length";
      this.remaining = Number(headers.get("content-length"));
    }
    this.parsedHead = { status: Number(status[1]), headers };
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

// One streamed POST to the engine over its plain socket (unix:// or unencrypted tcp://), with a
// body of lent chunks: each is written with Bun's unbuffered socket write, so the buffer is
// free again as soon as the write returns and the tar writer can reuse it (tar-writer.ts).
// Node's http client (dockerode) keeps every chunk it is given until it is sent, which forces
// a fresh buffer per chunk. TLS and ssh engines still go through dockerode.
import { engineBodyMessage } from "./engine-errors.ts";
import { hostPort, type PlainEngineAddress } from "./engine-host.ts";
import { openConnection } from "./engine-socket.ts";
import { collect } from "./http-response.ts";

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
  const { socket, reader: response, write } = await openConnection(address);
  let connectionLost = false;
  const writeAll = async (bytes: Uint8Array) => {
    try {
      await write(bytes);
    } catch (error) {
      connectionLost = true;
      throw error;
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

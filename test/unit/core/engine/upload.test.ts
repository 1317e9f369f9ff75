// dt's own HTTP upload to the engine, against real HTTP servers on unix sockets: Bun's HTTP
// server for well-behaved answers, raw sockets for the ways an engine can misbehave. The real
// engine is exercised through it by every `dt docker build` test.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { plainEngineAddress } from "../../../../src/core/engine/engine-host.ts";
import { postUpload, type Upload } from "../../../../src/core/engine/upload.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const socketPath = () => join(testdir({}).path, "engine.sock");

/** `count` chunks of `size` bytes lent from one buffer, as the tar writer lends them. */
function* lent(count: number, size: number): Generator<Uint8Array> {
  const buffer = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    buffer.fill(i % 251);
    yield buffer;
  }
}

const upload = (body: Iterable<Uint8Array>, length: number): Upload => ({ path: "/build?t=x%3A1", contentType: "application/x-tar", length, body });

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  let out = "";
  const decoder = new TextDecoder();
  for await (const part of body) out += decoder.decode(part, { stream: true });
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; statusCode?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; statusCode?: number };
  }
  throw new Error("expected a rejection");
}

/** A raw server that runs `onData` on what it receives; for answers no HTTP server would give. */
function rawServer(unix: string, onData: (socket: { write(d: string): number; end(): void }, data: Buffer) => void) {
  return Bun.listen({ unix, socket: { data: (socket, data) => onData(socket, data) } });
}

describe("postUpload", () => {
  test("sends every lent chunk as it was when lent, under backpressure, and streams a chunked answer", async () => {
    const unix = socketPath();
    const count = 160;
    const size = 64 * 1024;
    let received: { method: string; url: string; type: string | null; length: string | null; sum: number[] } | undefined;
    const server = Bun.serve({
      unix,
      async fetch(req) {
        const bytes = new Uint8Array(await req.arrayBuffer());
        const sum: number[] = [];
        for (let i = 0; i < bytes.byteLength; i += size) sum.push(bytes[i]! + bytes[i + size - 1]!);
        received = { method: req.method, url: new URL(req.url).pathname + new URL(req.url).search, type: req.headers.get("content-type"), length: req.headers.get("content-length"), sum };
        const lines = ['{"stream":"Step 1/2 : FROM x\\n"}\n', '{"stream":"Successfully built abc\\n"}\n'];
        return new Response(
          new ReadableStream({
            async pull(controller) {
              const line = lines.shift();
              if (line === undefined) return controller.close();
              await Bun.sleep(5);
              controller.enqueue(new TextEncoder().encode(line));
            },
          }),
        );
      },
    });
    try {
      const response = await postUpload({ unix }, upload(lent(count, size), count * size));
      expect(response.status).toBe(200);
      expect(await text(response.body)).toBe('{"stream":"Step 1/2 : FROM x\\n"}\n{"stream":"Successfully built abc\\n"}\n');
      expect(received).toMatchObject({ method: "POST", url: "/build?t=x%3A1", type: "application/x-tar", length: String(count * size) });
      expect(received!.sum).toEqual(Array.from({ length: count }, (_, i) => 2 * (i % 251)));
    } finally {
      server.stop(true);
    }
  });

  test("an error status rejects with it and the engine's message", async () => {
    const unix = socketPath();
    const server = Bun.serve({
      unix,
      async fetch(req) {
        await req.arrayBuffer();
        return Response.json({ message: "Cannot locate specified Dockerfile: nope" }, { status: 500 });
      },
    });
    try {
      const error = await rejection(postUpload({ unix }, upload(lent(2, 1024), 2048)));
      expect(error.statusCode).toBe(500);
      expect(error.message).toBe("Cannot locate specified Dockerfile: nope");
    } finally {
      server.stop(true);
    }
  });

  test("an engine that answers and hangs up before the body is sent: its answer, not a broken pipe", async () => {
    const unix = socketPath();
    const server = rawServer(unix, (socket) => {
      const body = '{"message":"invalid reference format"}';
      socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      socket.end();
    });
    try {
      const error = await rejection(postUpload({ unix }, upload(lent(400, 64 * 1024), 400 * 64 * 1024)));
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe("invalid reference format");
    } finally {
      server.stop(true);
    }
  });

  test("an engine that hangs up without answering: a connection error the caller maps to exit 3", async () => {
    const unix = socketPath();
    const server = rawServer(unix, (socket) => socket.end());
    try {
      const error = await rejection(postUpload({ unix }, upload(lent(400, 64 * 1024), 400 * 64 * 1024)));
      expect(["ECONNRESET", "EPIPE"]).toContain(error.code!);
    } finally {
      server.stop(true);
    }
  });

  test("no engine at the socket: ENOENT", async () => {
    const error = await rejection(postUpload({ unix: socketPath() }, upload(lent(1, 10), 10)));
    expect(error.code).toBe("ENOENT");
  });

  test("a body that fails (a file that shrank) rejects with that failure and cuts the connection", async () => {
    const unix = socketPath();
    let ended = false;
    const server = Bun.listen({ unix, socket: { data() {}, close: () => void (ended = true) } });
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(1024);
      throw new Error("src/app.py shrank while the build context was being packed");
    }
    try {
      const error = await rejection(postUpload({ unix }, upload(failing(), 4096)));
      expect(error.message).toContain("shrank");
      for (let i = 0; i < 100 && !ended; i++) await Bun.sleep(10);
      expect(ended).toBe(true);
    } finally {
      server.stop(true);
    }
  });

  test("a chunked answer split at every byte, and one ended by closing the connection", async () => {
    const unix = socketPath();
    const payload = '{"stream":"one"}\n{"stream":"two"}\n';
    const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${payload.slice(0, 5)}\r\n${(payload.length - 5).toString(16)}\r\n${payload.slice(5)}\r\n0\r\n\r\n`;
    const server = rawServer(unix, async (socket, data) => {
      if (!data.includes("\r\n\r\n")) return;
      for (const ch of chunked) {
        socket.write(ch);
        await Bun.sleep(0);
      }
    });
    try {
      expect(await text((await postUpload({ unix }, upload(lent(1, 16), 16))).body)).toBe(payload);
    } finally {
      server.stop(true);
    }
    const unix2 = socketPath();
    const server2 = rawServer(unix2, (socket, data) => {
      if (!data.includes("\r\n\r\n")) return;
      socket.write(`HTTP/1.0 200 OK\r\n\r\n${payload}`);
      socket.end();
    });
    try {
      expect(await text((await postUpload({ unix: unix2 }, upload(lent(1, 16), 16))).body)).toBe(payload);
    } finally {
      server2.stop(true);
    }
  });
});

describe("plainEngineAddress", () => {
  test("unix sockets and tcp:// without TLS are dt's to talk to; TLS and ssh are dockerode's", () => {
    expect(plainEngineAddress({})).toEqual({ unix: "/var/run/docker.sock" });
    expect(plainEngineAddress({ DOCKER_HOST: "unix:///tmp/d.sock" })).toEqual({ unix: "/tmp/d.sock" });
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://127.0.0.1:2376" })).toEqual({ hostname: "127.0.0.1", port: 2376 });
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://[::1]:2375" })).toEqual({ hostname: "::1", port: 2375 });
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://localhost" })).toEqual({ hostname: "localhost", port: 2375 });
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY: "1" })).toBeNull();
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS: "1" })).toBeNull();
    // As the Docker CLI reads it: DOCKER_CERT_PATH says where certificates are, not to use TLS.
    expect(plainEngineAddress({ DOCKER_HOST: "tcp://127.0.0.1:2375", DOCKER_CERT_PATH: "/certs" })).toEqual({ hostname: "127.0.0.1", port: 2375 });
    expect(plainEngineAddress({ DOCKER_HOST: "ssh://me@host" })).toBeNull();
  });

  test("a tcp:// engine gets the same upload over TCP on 127.0.0.1", async () => {
    let length = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        length = (await req.arrayBuffer()).byteLength;
        return new Response('{"stream":"ok"}\n');
      },
    });
    try {
      const response = await postUpload({ hostname: "127.0.0.1", port: server.port! }, upload(lent(8, 4096), 8 * 4096));
      expect(await text(response.body)).toBe('{"stream":"ok"}\n');
      expect(length).toBe(8 * 4096);
    } finally {
      server.stop(true);
    }
  });
});

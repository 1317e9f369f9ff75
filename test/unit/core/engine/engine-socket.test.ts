// dt's own engine client against servers on unix sockets that answer as the engine does, or
// misbehave as a hung one does: plain calls, their deadline, streamed answers, and an attach
// that takes the connection over. The real engine is exercised through it by every e2e test
// that runs a container.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { FrameSplitter, attachedStreams } from "../../../../src/core/engine/attach-stream.ts";
import { call, stream } from "../../../../src/core/engine/engine-socket.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";
import { collector } from "../../../support/fake-target.ts";

afterAll(cleanupAll);

const socketPath = () => join(testdir({}).path, "engine.sock");

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; statusCode?: number; deadlineMs?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; statusCode?: number; deadlineMs?: number };
  }
  throw new Error("expected a rejection");
}

/** A frame of the engine's multiplexed attach stream. */
function frame(stream: 1 | 2, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + payload.byteLength);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.byteLength);
  out.set(payload, 8);
  return out;
}

describe("call", () => {
  test("sends the method, path and JSON body; parses the JSON answer; a 204 needs no body", async () => {
    const unix = socketPath();
    const seen: { method: string; path: string; type: string | null; body: string }[] = [];
    const server = Bun.serve({
      unix,
      async fetch(req) {
        const url = new URL(req.url);
        seen.push({ method: req.method, path: url.pathname + url.search, type: req.headers.get("content-type"), body: await req.text() });
        if (url.pathname.endsWith("/start")) return new Response(null, { status: 204 });
        return Response.json({ Id: "abc123", Warnings: [] }, { status: 201 });
      },
    });
    try {
      const created = await call<{ Id: string }>({ unix }, { method: "POST", path: "/containers/create?name=dt-x", json: { Image: "img", Cmd: ["true"] } });
      expect(created.Id).toBe("abc123");
      expect(await call({ unix }, { method: "POST", path: "/containers/abc123/start" })).toBeUndefined();
      expect(seen).toEqual([
        { method: "POST", path: "/containers/create?name=dt-x", type: "application/json", body: '{"Image":"img","Cmd":["true"]}' },
        { method: "POST", path: "/containers/abc123/start", type: null, body: "" },
      ]);
    } finally {
      server.stop(true);
    }
  });

  test("an error status rejects with statusCode and the engine's own message", async () => {
    const unix = socketPath();
    const server = Bun.serve({ unix, fetch: () => Response.json({ message: "No such image: nope:1" }, { status: 404 }) });
    try {
      const e = await rejection(call({ unix }, { method: "GET", path: "/images/nope:1/json" }));
      expect(e.statusCode).toBe(404);
      expect(e.message).toBe("No such image: nope:1");
    } finally {
      server.stop(true);
    }
  });

  test("an engine that accepts and never answers: ETIMEDOUT with the deadline, when it passes", async () => {
    const unix = socketPath();
    const server = Bun.listen({ unix, socket: { data: () => {} } });
    try {
      const started = performance.now();
      const e = await rejection(call({ unix }, { method: "GET", path: "/version" }, 300));
      const took = performance.now() - started;
      expect({ code: e.code, deadlineMs: e.deadlineMs }).toEqual({ code: "ETIMEDOUT", deadlineMs: 300 });
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(3000);
    } finally {
      server.stop(true);
    }
  });

  test("no engine at the socket: the connection's own errno", async () => {
    const e = await rejection(call({ unix: join(testdir({}).path, "none.sock") }, { method: "GET", path: "/version" }));
    expect(e.code).toBe("ENOENT");
  });
});

describe("stream", () => {
  test("resolves at the head and hands the chunked body on as it comes (a wait's answer at the exit)", async () => {
    const unix = socketPath();
    let finish!: () => void;
    const exited = new Promise<void>((resolve) => (finish = resolve));
    const server = Bun.serve({
      unix,
      fetch: () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              // The engine flushes its head when the wait is registered; a byte makes Bun's server do so.
              controller.enqueue(new TextEncoder().encode("\n"));
              await exited;
              controller.enqueue(new TextEncoder().encode('{"StatusCode":7}'));
              controller.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    });
    try {
      const open = await stream({ unix }, { method: "POST", path: "/containers/x/wait?condition=removed" }, 2000);
      expect((await open.head).status).toBe(200);
      finish();
      let text = "";
      for await (const part of open.body) text += new TextDecoder().decode(part);
      expect(JSON.parse(text)).toEqual({ StatusCode: 7 });
    } finally {
      server.stop(true);
    }
  });
});

describe("attach: a connection taken over", () => {
  test("101, then frames split to stdout and stderr; input written through, and its end is the engine's end of stdin", async () => {
    const unix = socketPath();
    let request = "";
    let inputSeen = "";
    let inputEnded!: () => void;
    const ended = new Promise<void>((resolve) => (inputEnded = resolve));
    const server = Bun.listen({
      unix,
      allowHalfOpen: true,
      socket: {
        data(socket, data) {
          if (!request.includes("\r\n\r\n")) {
            request += data.toString();
            if (!request.includes("\r\n\r\n")) return;
            socket.write("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            // A frame cut in two, and two frames in one write.
            const out = frame(1, "hello ");
            socket.write(out.subarray(0, 5));
            socket.write(Buffer.concat([out.subarray(5), frame(2, "oops\n"), frame(1, "world\n")]));
            return;
          }
          inputSeen += data.toString();
        },
        end(socket) {
          inputEnded();
          socket.end();
        },
      },
    });
    try {
      const open = await stream({ unix }, { method: "POST", path: "/containers/x/attach?stream=1&stdin=1&stdout=1&stderr=1", upgrade: true }, 2000);
      const out = collector();
      const err = collector();
      const attached = attachedStreams(open, { tty: false, stdin: true, stdout: out.stream, stderr: err.stream });
      await new Promise<void>((resolve) => attached.input!.write("typed\n", () => resolve()));
      attached.input!.end();
      await ended;
      await attached.ended;
      expect(request).toStartWith("POST /containers/x/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n");
      expect(request).toContain("\r\nConnection: Upgrade\r\n");
      expect(request).toContain("\r\nUpgrade: tcp\r\n");
      expect({ out: out.text(), err: err.text(), input: inputSeen }).toEqual({ out: "hello world\n", err: "oops\n", input: "typed\n" });
    } finally {
      server.stop(true);
    }
  });
});

describe("FrameSplitter", () => {
  test("frames split byte by byte come out whole and in order; an empty frame is nothing", () => {
    const bytes = Buffer.concat([frame(1, "a"), frame(2, ""), frame(2, "bc"), frame(1, "def")]);
    const splitter = new FrameSplitter();
    const got: string[] = [];
    for (let i = 0; i < bytes.byteLength; i++) {
      for (const [name, part] of splitter.split(bytes.subarray(i, i + 1))) got.push(`${name}:${new TextDecoder().decode(part)}`);
    }
    expect(got.join("")).toBe("stdout:astderr:bstderr:cstdout:dstdout:estdout:f");
  });
});

// install.sh under faults that test/e2e/install.test.ts does not cover: interrupted mid-download
// (SIGINT to the process group, as Ctrl-C sends it; SIGTERM to the installer alone), a
// connection cut mid-transfer, and two installs into the same directory at once. The e2e file
// covers checksum mismatches, unknown OS/arch, 404s, the atomic replace and the rest.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { cleanupAll, testdir } from "../support/fixtures.ts";
import { waitUntil } from "./helpers.ts";

setDefaultTimeout(300_000);

const INSTALL_SH = resolve(import.meta.dir, "../../install.sh");
const ASSET = `dt-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/**
 * A stand-in release: a "dt" that is a shell script printing its version, padded to 24 MB (after
 * its `exit`) so that a download takes long enough to be interrupted. install.sh treats it as any
 * binary: checksum, run `--version`, rename into place.
 */
function fakeDt(version: string): Uint8Array {
  const head = `#!/bin/sh\necho "dt ${version}"\nexit 0\n`;
  const pad = Buffer.alloc(24 * 1024 * 1024, "#");
  return Buffer.concat([Buffer.from(head), pad, Buffer.from("\n")]);
}

let binary: Uint8Array;
let sums = "";
let servers: ReturnType<typeof Bun.serve>[] = [];

beforeAll(() => {
  binary = fakeDt("9.9.9");
  sums = `${sha256(binary)}  ${ASSET}\n`;
});

afterAll(() => {
  for (const s of servers) s.stop(true);
  cleanupAll();
});

/** Serves the release; the binary in 1 MB chunks every `delayMs`, cut after `cutAfter` chunks if given. */
function serve(options: { delayMs: number; cutAfter?: number }) {
  let started = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path.endsWith("/SHA256SUMS")) return new Response(sums);
      if (!path.endsWith(`/${ASSET}`)) return new Response("not found", { status: 404 });
      started++;
      const chunk = 1024 * 1024;
      let sent = 0;
      const body = new ReadableStream({
        async pull(controller) {
          if (options.cutAfter !== undefined && sent >= options.cutAfter * chunk) {
            // The body ends short of its Content-Length: the connection drops mid-transfer.
            controller.close();
            return;
          }
          if (sent >= binary.length) {
            controller.close();
            return;
          }
          await Bun.sleep(options.delayMs);
          controller.enqueue(binary.subarray(sent, sent + chunk));
          sent += chunk;
        },
      });
      return new Response(body, { headers: { "Content-Length": String(binary.length), "Content-Type": "application/octet-stream" } });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/download`, started: () => started };
}

/** An install dir already holding a working dt 1.0.0, and an empty TMPDIR. */
function sandbox() {
  const dir = testdir().path;
  const prefix = join(dir, "bin");
  const tmp = join(dir, "tmp");
  mkdirSync(prefix);
  mkdirSync(tmp);
  const old = fakeDt("1.0.0").subarray(0, 64);
  writeFileSync(join(prefix, "dt"), old, { mode: 0o755 });
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TMPDIR: tmp, DT_INSTALL_DIR: prefix };
  return { prefix, tmp, env, old: Buffer.from(old) };
}

function expectUntouched(box: ReturnType<typeof sandbox>) {
  expect(readdirSync(box.prefix)).toEqual(["dt"]);
  expect(Buffer.from(readFileSync(join(box.prefix, "dt"))).equals(box.old)).toBe(true);
  expect(readdirSync(box.tmp)).toEqual([]);
}

function installer(env: Record<string, string>, detached = false) {
  return Bun.spawn(["sh", INSTALL_SH], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", detached });
}

describe("install.sh interrupted or cut off", () => {
  test("Ctrl-C (SIGINT to the process group) mid-download: exit 130, the old dt untouched, no temp file", async () => {
    const box = sandbox();
    const server = serve({ delayMs: 100 });
    const proc = installer({ ...box.env, DT_DOWNLOAD_URL: server.url }, true);
    await waitUntil("the download to start", 10_000, () => server.started() > 0);
    await Bun.sleep(500);
    process.kill(-proc.pid, "SIGINT");
    expect(await proc.exited).toBe(130);
    expectUntouched(box);
  });

  test("SIGTERM to the installer alone mid-download: exit 143 once its download step ends, nothing installed", async () => {
    const box = sandbox();
    const server = serve({ delayMs: 40 });
    const proc = installer({ ...box.env, DT_DOWNLOAD_URL: server.url });
    await waitUntil("the download to start", 10_000, () => server.started() > 0);
    await Bun.sleep(300);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    expectUntouched(box);
  });

  test("a body that ends short (the server says it is done): the checksum refuses it, nothing installed", async () => {
    const box = sandbox();
    const server = serve({ delayMs: 5, cutAfter: 5 });
    const proc = installer({ ...box.env, DT_DOWNLOAD_URL: server.url });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(1);
    expect(stderr).toContain(`checksum mismatch for ${ASSET}`);
    expectUntouched(box);
  });

  test("a connection dropped mid-transfer (fewer bytes than Content-Length): a failed download, nothing installed", async () => {
    const box = sandbox();
    // A raw HTTP server: headers promise the whole binary, 5 MB follow, then the socket closes.
    const server = createServer((socket) => {
      socket.once("data", (request) => {
        const path = request.toString().split(" ")[1] ?? "";
        if (path.endsWith("/SHA256SUMS")) {
          socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${sums.length}\r\nConnection: close\r\n\r\n${sums}`);
          return;
        }
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${binary.length}\r\nConnection: close\r\n\r\n`);
        socket.write(binary.subarray(0, 5 * 1024 * 1024), () => socket.destroy());
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/download`;
      const proc = installer({ ...box.env, DT_DOWNLOAD_URL: url });
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      expect(code).toBe(1);
      expect(stderr).toContain(`could not download ${url}/${ASSET}`);
      expectUntouched(box);
    } finally {
      server.close();
    }
  });
});

describe("install.sh twice at once", () => {
  test("two installs into the same dir both succeed; the result is one whole, verified dt and no temp file", async () => {
    const box = sandbox();
    const server = serve({ delayMs: 2 });
    const runs = [0, 1].map(() => installer({ ...box.env, DT_DOWNLOAD_URL: server.url }));
    const codes = await Promise.all(runs.map((p) => p.exited));
    expect(codes).toEqual([0, 0]);
    expect(readdirSync(box.prefix)).toEqual(["dt"]);
    expect(sha256(readFileSync(join(box.prefix, "dt")))).toBe(sha256(binary));
    expect(readdirSync(box.tmp)).toEqual([]);
    const version = Bun.spawnSync([join(box.prefix, "dt"), "--version"]);
    expect(version.stdout.toString()).toBe("dt 9.9.9\n");
  });
});

// A registry that answers too much or too slowly: a manifest declared as 1 GiB, a body without
// end, a body at a few bytes a second. dt used to read whole bodies into memory (2.1 GB for the
// 1 GiB manifest, 3.7 GB in 30 s for the endless one) and ended a slow one as "internal error:
// The operation timed out". Now: at most 4 MiB of a manifest, a deadline per request (body
// included), exit 3 naming the registry. The registry is a small hostile HTTP server on
// 127.0.0.1, started here with Bun.serve.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dtArgv, type DtResult } from "../support/dt.ts";
import { gitEnv } from "../support/fixtures.ts";
import { RegistryClient } from "../../src/core/registry/client.ts";
import { isDtError } from "../../src/core/base/errors.ts";
import { changelog } from "./helpers.ts";

const MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
const CHUNK = new Uint8Array(64 * 1024).fill(0x20);
/** Bytes the server managed to hand over, per route, and whether the client hung up. */
const sent: Record<string, number> = {};
const cancelled: Record<string, boolean> = {};
let server: ReturnType<typeof Bun.serve>;
let host = "";
let root = "";
const live = new Set<ReturnType<typeof Bun.spawn>>();

function route(name: string): string {
  sent[name] = 0;
  cancelled[name] = false;
  return name;
}

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const name = /^\/v2\/acme\/([^/]+)\/manifests\//.exec(path)?.[1] ?? "";
      if (name === "declared") {
        // Says 1 GiB up front, and would send it.
        route(name);
        let left = 2 ** 30;
        const body = new ReadableStream({
          pull(c) {
            const n = Math.min(left, CHUNK.byteLength);
            left -= n;
            sent[name]! += n;
            if (left === 0) c.close();
            else c.enqueue(CHUNK.subarray(0, n));
          },
          cancel() {
            cancelled[name] = true;
          },
        });
        return new Response(body, { headers: { "content-type": MANIFEST_TYPE, "content-length": String(2 ** 30) } });
      }
      if (name === "endless") {
        // No length, no end: as fast as the client reads.
        route(name);
        const body = new ReadableStream({
          pull(c) {
            sent[name]! += CHUNK.byteLength;
            c.enqueue(CHUNK);
          },
          cancel() {
            cancelled[name] = true;
          },
        });
        return new Response(body, { headers: { "content-type": MANIFEST_TYPE } });
      }
      if (name === "slow") {
        // A byte every 200 ms: it never ends within any sane deadline.
        route(name);
        let timer: ReturnType<typeof setInterval> | undefined;
        const body = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("{"));
            timer = setInterval(() => {
              sent[name]! += 1;
              c.enqueue(new TextEncoder().encode(" "));
            }, 200);
          },
          cancel() {
            clearInterval(timer);
            cancelled[name] = true;
          },
        });
        return new Response(body, { headers: { "content-type": MANIFEST_TYPE } });
      }
      return new Response("not here", { status: 404 });
    },
  });
  host = `127.0.0.1:${server.port}`;
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: bodies\nregistry: ${host}/acme\n`,
    "changelog.txt": changelog("bodies"),
    "devops/.keep": "",
    "declared/changelog.txt": changelog("declared"),
    "declared/devops/.keep": "",
    "endless/changelog.txt": changelog("endless"),
    "endless/devops/.keep": "",
  });
});

afterAll(() => {
  for (const proc of live) proc.kill("SIGKILL");
  server?.stop(true);
  cleanupAll();
});

/** dt in `cwd`, with its peak memory; killed after `timeoutMs`. */
async function dtMeasured(args: string[], cwd: string, timeoutMs: number): Promise<DtResult & { maxRSS: number }> {
  const started = performance.now();
  const proc = Bun.spawn([...dtArgv(), ...args], { cwd, env: { ...gitEnv(), NO_COLOR: "1" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  live.add(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  live.delete(proc);
  return { code, stdout, stderr, ms: performance.now() - started, maxRSS: proc.resourceUsage()?.maxRSS ?? 0 };
}

const MB = 1024 * 1024;

describe("a registry that sends too much", () => {
  test(
    "a manifest declared as 1 GiB: exit 3 naming the registry, refused before reading it",
    async () => {
      const r = await dtMeasured(["docker", "rollback", "dev", "--version", "0.1.0"], join(root, "declared"), 20_000);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`registry ${host} sent more than 4 MiB for the manifest acme/declared:dev-0.1.0`);
      expect(r.stderr).not.toContain("internal error");
      expect(r.maxRSS).toBeLessThan(300 * MB);
      expect(sent.declared).toBeLessThan(64 * MB);
    },
    25_000,
  );

  test(
    "a manifest without end: exit 3 after 4 MiB, memory bounded, the connection dropped",
    async () => {
      const r = await dtMeasured(["docker", "rollback", "dev", "--version", "0.1.0"], join(root, "endless"), 20_000);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`registry ${host} sent more than 4 MiB for the manifest acme/endless:dev-0.1.0`);
      expect(r.maxRSS).toBeLessThan(300 * MB);
      // What the server could push into the socket's buffers past the 4 MiB dt read, no more.
      expect(sent.endless).toBeLessThan(64 * MB);
      await Bun.sleep(200);
      expect(cancelled.endless).toBe(true);
    },
    25_000,
  );
});

describe("a registry that sends too slowly", () => {
  test(
    "a byte every 200 ms: the request's deadline covers the body; exit 3 naming the registry and the deadline",
    async () => {
      const client = new RegistryClient(host, { credentials: null, timeoutMs: 1500 });
      const started = performance.now();
      const error = await client.getManifest("acme/slow", "dev-0.1.0").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(isDtError(error)).toBe(true);
      if (!isDtError(error)) return;
      expect(error.exitCode).toBe(3);
      expect(error.message).toMatch(new RegExp(`^registry ${host} did not send all of the manifest acme/slow:dev-0\\.1\\.0 within 2 s \\(\\d+ bytes came\\)$`));
      await Bun.sleep(300);
      expect(cancelled.slow).toBe(true);
    },
    10_000,
  );
});

// RegistryClient.putBlob against small in-process registries: the two-step upload, and
// credentials that stay with the registry when it hands the upload to another origin.
// e2e: test-cache.test.ts stores results in the bed's htpasswd registry through it.
import { afterAll, describe, expect, test } from "bun:test";
import { RegistryClient } from "../../../../src/core/registry/client.ts";
import { sha256Digest } from "../../../../src/core/registry/manifest.ts";

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: string;
}

const servers: ReturnType<typeof Bun.serve>[] = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
});

/** A registry that asks for Basic auth, then starts uploads at `location(port)`; and where PUTs land. */
function registry(location: (self: number) => string) {
  const seen: Seen[] = [];
  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      seen.push({ method: req.method, url: url.pathname + url.search, authorization: req.headers.get("authorization"), body: await req.text() });
      if (!req.headers.get("authorization") && !url.pathname.startsWith("/elsewhere")) {
        return new Response("", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="test"' } });
      }
      if (req.method === "POST") return new Response("", { status: 202, headers: { Location: location(server.port!) } });
      if (req.method === "PUT") return new Response("", { status: 201 });
      return new Response("", { status: 404 });
    },
  });
  servers.push(server);
  return { server, seen };
}

const CREDENTIALS = { username: "u", password: "blob-pw-7", serveraddress: "x" };

describe("RegistryClient.putBlob", () => {
  test("starts an upload, then PUTs the bytes with their digest to the Location, with the credentials", async () => {
    const reg = registry(() => "/v2/team/cache/blobs/uploads/abc?_state=s1");
    const client = new RegistryClient(`127.0.0.1:${reg.server.port}`, { credentials: CREDENTIALS });
    const bytes = new TextEncoder().encode('{"ok":true}');
    expect(await client.putBlob("team/cache", bytes)).toBe(sha256Digest(bytes));
    const put = reg.seen.find((s) => s.method === "PUT")!;
    expect(put.url).toBe(`/v2/team/cache/blobs/uploads/abc?_state=s1&digest=${encodeURIComponent(sha256Digest(bytes))}`);
    expect(put.body).toBe('{"ok":true}');
    expect(put.authorization).toStartWith("Basic ");
  });

  test("an upload handed to another origin gets the bytes but not the credentials", async () => {
    const storage = registry(() => "");
    const reg = registry(() => `http://127.0.0.1:${storage.server.port}/elsewhere/upload-1`);
    const client = new RegistryClient(`127.0.0.1:${reg.server.port}`, { credentials: CREDENTIALS });
    await client.putBlob("team/cache", new TextEncoder().encode("{}"));
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]).toMatchObject({ method: "PUT", authorization: null, body: "{}" });
    expect(storage.seen[0]!.url).toStartWith("/elsewhere/upload-1?digest=sha256%3A");
    expect(reg.seen.some((s) => s.method === "POST" && s.authorization?.startsWith("Basic "))).toBe(true);
  });
});

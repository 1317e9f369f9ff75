// The registry client against the test bed's real registries (Distribution 2.8): the open one
// on 127.0.0.1:5000 and the htpasswd one on 127.0.0.1:5001. Images are put there with the
// docker CLI (tests may use it; dt itself never does), then read, indexed and re-tagged
// through the HTTP API. A small in-process server stands in for a token-auth registry
// (GHCR, Docker Hub, ECR all use Bearer), which Distribution with htpasswd does not do.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCredentials } from "../../src/core/registry/credentials.ts";
import { DtError } from "../../src/core/base/errors.ts";
import { RegistryClient, isLoopbackRegistry, registryBase } from "../../src/core/registry/client.ts";
import { MediaType, sha256Digest, type IndexEntry } from "../../src/core/registry/manifest.ts";
import { cleanupAll, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";
import { dtRejectionOf, errorText } from "../support/errors.ts";

const tb = testbed();
const PASSWORD = tb.auth.password;
const USER = tb.auth.username;
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
const suffix = Math.random().toString(36).slice(2, 8);
const REPO = `dt-regtest-${suffix}`;
const localTags: string[] = [];

/** Runs the docker CLI (tests only); throws with its output on failure. */
function docker(args: string[], options: { stdin?: string; config?: string } = {}): string {
  const argv = ["docker", ...(options.config ? ["--config", options.config] : []), ...args];
  const proc = Bun.spawnSync(argv, { stdin: options.stdin === undefined ? "ignore" : Buffer.from(options.stdin), stdout: "pipe", stderr: "pipe" });
  const out = proc.stdout.toString();
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${out}${proc.stderr.toString()}`);
  return out;
}

/** Tags `image` as `ref` and pushes it; returns the digest and size `docker push` printed. */
function push(image: string, ref: string, config?: string): { digest: string; size: number } {
  docker(["tag", image, ref]);
  localTags.push(ref);
  const out = docker(["push", ref], { config });
  const m = /digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(out);
  if (!m) throw new Error(`no digest in docker push output:\n${out}`);
  return { digest: m[1]!, size: Number(m[2]) };
}

/** The DtError `p` rejects with, checked to carry no credential. */
async function failure(p: Promise<unknown>, ...alsoSecret: string[]): Promise<DtError> {
  const error = await dtRejectionOf(p);
  const text = errorText(error);
  for (const secret of [PASSWORD, BASIC, ...alsoSecret]) expect(text).not.toContain(secret);
  return error;
}

/** A DOCKER_CONFIG dir with `config.json` and executable `bin/` scripts; env pointing at it. */
function dockerConfig(config: unknown, scripts: Record<string, string> = {}) {
  const dir = testdir({ "config.json": JSON.stringify(config), "bin/": "" });
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir.path, "bin", name), body);
    chmodSync(join(dir.path, "bin", name), 0o755);
  }
  return { ...process.env, DOCKER_CONFIG: dir.path, PATH: `${join(dir.path, "bin")}:${process.env.PATH}` };
}

let amd64: { digest: string; size: number };
let arm64: { digest: string; size: number };
let authPushed: { digest: string; size: number };
let loginConfig = "";

beforeAll(() => {
  amd64 = push(tb.images.busybox, `${tb.registry}/${REPO}:a`);
  if (!tb.images.busyboxArm64) throw new Error("the test bed has no arm64 busybox (no QEMU); re-run scripts/testbed.sh on a machine with binfmt");
  arm64 = push(tb.images.busyboxArm64, `${tb.registry}/${REPO}:arm64`);
  // A throwaway Docker config for the login, so ~/.docker is never touched.
  loginConfig = testdir().path;
  docker(["login", "-u", USER, "--password-stdin", tb.authRegistry], { stdin: PASSWORD, config: loginConfig });
  authPushed = push(tb.images.busybox, `${tb.authRegistry}/${REPO}:a`, loginConfig);
}, 240_000);

afterAll(() => {
  for (const tag of localTags) Bun.spawnSync(["docker", "rmi", tag], { stdout: "ignore", stderr: "ignore" });
  server?.stop(true);
  cleanupAll();
});

describe("registryBase", () => {
  test("plain HTTP for loopback only, as the engine does", () => {
    expect(registryBase("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryBase("127.3.2.1")).toBe("http://127.3.2.1");
    expect(registryBase("localhost:5000")).toBe("http://localhost:5000");
    expect(registryBase("[::1]:5000")).toBe("http://[::1]:5000");
    expect(registryBase("ghcr.io")).toBe("https://ghcr.io");
    expect(registryBase("10.0.0.1:5000")).toBe("https://10.0.0.1:5000");
    expect(registryBase("127.example.com")).toBe("https://127.example.com");
    expect(registryBase("docker.io")).toBe("https://registry-1.docker.io");
    expect(isLoopbackRegistry("localhost.evil.com")).toBe(false);
  });
});

describe("open registry (5000)", () => {
  const client = () => new RegistryClient(tb.registry, { credentials: null });

  test("headManifest and getManifest give the digest docker push printed", async () => {
    const head = await client().headManifest(REPO, "a");
    expect(head).toEqual({ digest: amd64.digest, size: amd64.size, mediaType: MediaType.dockerManifest });
    const m = await client().getManifest(REPO, "a");
    expect(m).toBeDefined();
    expect(m!.digest).toBe(amd64.digest);
    expect(sha256Digest(m!.body)).toBe(amd64.digest);
    expect(m!.size).toBe(amd64.size);
    expect(m!.mediaType).toBe(MediaType.dockerManifest);
    expect((m!.json as { schemaVersion: number }).schemaVersion).toBe(2);
    const byDigest = await client().getManifest(REPO, amd64.digest);
    expect(byDigest!.digest).toBe(amd64.digest);
  });

  test("a missing tag, repository or digest is undefined", async () => {
    expect(await client().headManifest(REPO, "nope")).toBeUndefined();
    expect(await client().getManifest(REPO, "nope")).toBeUndefined();
    expect(await client().getManifest(`${REPO}-absent`, "a")).toBeUndefined();
    expect(await client().headManifest(REPO, `sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  test("putIndex joins amd64 and arm64 under one tag as a manifest list", async () => {
    const entries: IndexEntry[] = [
      { ...amd64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "amd64" } },
      { ...arm64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ];
    const digest = await client().putIndex(REPO, "multi", entries, "docker");
    const m = await client().getManifest(REPO, "multi");
    expect(m!.digest).toBe(digest);
    expect(m!.mediaType).toBe(MediaType.dockerManifestList);
    const json = m!.json as { manifests: { digest: string; platform: { architecture: string; variant?: string } }[] };
    expect(json.manifests.map((x) => [x.platform.architecture, x.digest])).toEqual([
      ["amd64", amd64.digest],
      ["arm64", arm64.digest],
    ]);
    // The docker CLI reads it as a multi-platform image too.
    const inspected = JSON.parse(docker(["manifest", "inspect", "--insecure", `${tb.registry}/${REPO}:multi`])) as {
      mediaType: string;
      manifests: { platform: { architecture: string; os: string; variant?: string } }[];
    };
    expect(inspected.mediaType).toBe(MediaType.dockerManifestList);
    expect(inspected.manifests.map((x) => `${x.platform.os}/${x.platform.architecture}${x.platform.variant ? `/${x.platform.variant}` : ""}`)).toEqual([
      "linux/amd64",
      "linux/arm64/v8",
    ]);
  });

  test("putIndex kind oci writes an OCI index", async () => {
    const entries: IndexEntry[] = [
      { ...amd64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "amd64" } },
      { ...arm64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "arm64" } },
    ];
    const digest = await client().putIndex(REPO, "multi-oci", entries, "oci");
    const head = await client().headManifest(REPO, "multi-oci");
    expect(head).toMatchObject({ digest, mediaType: MediaType.ociIndex });
  });

  test("putIndex refuses bad entries before talking to the registry", async () => {
    const e = await failure(client().putIndex(REPO, "x", [], "docker"));
    expect(e.exitCode).toBe(2);
    const e2 = await failure(
      client().putIndex(REPO, "x", [{ digest: "nope", size: 1, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "amd64" } }]),
    );
    expect(e2.exitCode).toBe(2);
  });

  test("copyTag moves a floating tag without pulling, and the engine pulls the result", async () => {
    expect(await client().copyTag(REPO, "a", "prod")).toBe(amd64.digest);
    expect((await client().headManifest(REPO, "prod"))!.digest).toBe(amd64.digest);
    // An index of its own, so the test does not need the putIndex tests to have run.
    const entries: IndexEntry[] = [
      { ...amd64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "amd64" } },
      { ...arm64, mediaType: MediaType.dockerManifest, platform: { os: "linux", architecture: "arm64" } },
    ];
    await client().putIndex(REPO, "multi-copy", entries, "docker");
    const multi = (await client().headManifest(REPO, "multi-copy"))!;
    expect(await client().copyTag(REPO, "multi-copy", "prod")).toBe(multi.digest);
    expect(await client().headManifest(REPO, "prod")).toEqual(multi);
    // And back, by digest (a rollback to a known version).
    expect(await client().copyTag(REPO, amd64.digest, "prod")).toBe(amd64.digest);
    const pulled = docker(["pull", `${tb.registry}/${REPO}:prod`]);
    localTags.push(`${tb.registry}/${REPO}:prod`);
    expect(pulled).toContain(amd64.digest);
  });

  test("copyTag from a tag that does not exist: environment error", async () => {
    const e = await failure(client().copyTag(REPO, "9.9.9", "prod"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`${tb.registry}/${REPO}:9.9.9`);
  });

  test("a manifest the registry rejects: exit 1 with the registry's message", async () => {
    const bogus = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 2, digest: `sha256:${"1".repeat(64)}` },
      layers: [],
    });
    const e = await failure(client().putManifest(REPO, "bogus", bogus, MediaType.dockerManifest));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain(`registry ${tb.registry} answered 400 to PUT ${REPO}:bogus`);
    expect(e.message).toMatch(/MANIFEST_BLOB_UNKNOWN|MANIFEST_INVALID/);
  });

  test("bad names are usage errors", async () => {
    expect((await failure(client().headManifest("Bad/Repo", "a"))).exitCode).toBe(2);
    expect((await failure(client().headManifest(REPO, "../x"))).exitCode).toBe(2);
  });

  test("an unreachable registry: environment error naming it", async () => {
    const e = await failure(new RegistryClient("127.0.0.1:1", { credentials: { username: USER, password: PASSWORD, serveraddress: "x" } }).headManifest(REPO, "a"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe("cannot reach registry 127.0.0.1:1 at http://127.0.0.1:1: connection refused (ECONNREFUSED)");
    expect(e.hint).toContain("127.0.0.1:1");
  });
});

describe("htpasswd registry (5001)", () => {
  test("without credentials: exit 3 with a docker login hint", async () => {
    const env = dockerConfig({});
    const e = await failure(new RegistryClient(tb.authRegistry, { env }).headManifest(REPO, "a"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`registry ${tb.authRegistry} refused access to ${REPO} (401)`);
    expect(e.hint).toBe(`docker login ${tb.authRegistry}`);
    const e2 = await failure(new RegistryClient(tb.authRegistry, { credentials: null }).getManifest(REPO, "a"));
    expect(e2.exitCode).toBe(3);
  });

  test("with the config `docker login` wrote (auths, base64): Basic auth works", async () => {
    const env = { ...process.env, DOCKER_CONFIG: loginConfig };
    const auth = await resolveCredentials(tb.authRegistry, env);
    expect(auth).toMatchObject({ username: USER, password: PASSWORD });
    const client = new RegistryClient(tb.authRegistry, { env });
    expect(await client.headManifest(REPO, "a")).toMatchObject({ digest: authPushed.digest, size: authPushed.size });
    expect((await client.getManifest(REPO, "a"))!.digest).toBe(authPushed.digest);
    expect(await client.copyTag(REPO, "a", "dev")).toBe(authPushed.digest);
    expect(await client.headManifest(REPO, "nope")).toBeUndefined();
  });

  test("explicit credentials work too", async () => {
    const client = new RegistryClient(tb.authRegistry, { credentials: { username: USER, password: PASSWORD, serveraddress: tb.authRegistry } });
    expect((await client.headManifest(REPO, "a"))!.digest).toBe(authPushed.digest);
  });

  test("a wrong password: exit 3, neither password shown, source named", async () => {
    const wrong = "wrong-pw-zz91";
    const env = dockerConfig({ auths: { [tb.authRegistry]: { auth: Buffer.from(`${USER}:${wrong}`).toString("base64") } } });
    const e = await failure(new RegistryClient(tb.authRegistry, { env }).headManifest(REPO, "a"), wrong);
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("refused the credentials");
    expect(e.message).toContain("auths in config.json");
    expect(e.hint).toBe(`docker login ${tb.authRegistry}`);
  });

  // Stands in for a real helper such as docker-credential-ecr-login (which cannot work here):
  // it speaks the helper protocol, server address on stdin and JSON on stdout.
  const fakeHelper = () =>
    "#!/bin/sh\nread -r server\n" +
    `if [ "$server" = "${tb.authRegistry}" ]; then\n` +
    `  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$server" "${USER}" "${PASSWORD}"\n` +
    "else\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n";

  test("credHelpers: docker-credential-dttest on PATH supplies the credentials", async () => {
    const env = dockerConfig({ credHelpers: { [tb.authRegistry]: "dttest" } }, { "docker-credential-dttest": fakeHelper() });
    expect(await resolveCredentials(tb.authRegistry, env)).toEqual({ username: USER, password: PASSWORD, serveraddress: tb.authRegistry });
    expect((await new RegistryClient(tb.authRegistry, { env }).headManifest(REPO, "a"))!.digest).toBe(authPushed.digest);
  });

  test("credsStore: the same helper as the default store", async () => {
    const env = dockerConfig({ credsStore: "dttest" }, { "docker-credential-dttest": fakeHelper() });
    expect((await new RegistryClient(tb.authRegistry, { env }).getManifest(REPO, "a"))!.digest).toBe(authPushed.digest);
    // The open registry never asks, so the helper is not even run for it.
    expect((await new RegistryClient(tb.registry, { env }).headManifest(REPO, "a"))!.digest).toBe(amd64.digest);
  });

  test("a failing helper: exit 3 naming helper and host, nothing it printed", async () => {
    const script = `#!/bin/sh\nread -r server\necho "error: ${PASSWORD} rejected" >&2\necho '{"Secret":"${PASSWORD}"'\nexit 4\n`;
    const env = dockerConfig({ credHelpers: { [tb.authRegistry]: "dttest" } }, { "docker-credential-dttest": script });
    const e = await failure(new RegistryClient(tb.authRegistry, { env }).headManifest(REPO, "a"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`credential helper docker-credential-dttest failed for ${tb.authRegistry} (exit code 4)`);
  });

  test("a missing helper: exit 3 naming it", async () => {
    const env = dockerConfig({ credHelpers: { [tb.authRegistry]: "ecr-login" } });
    const e = await failure(new RegistryClient(tb.authRegistry, { env }).headManifest(REPO, "a"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("docker-credential-ecr-login");
    expect(e.message).toContain(tb.authRegistry);
  });
});

// ------------------------------------------------------------ token auth (Bearer)

const TOKEN_USER = "tokuser";
const TOKEN_PW = "tok-secret-pw-77";
const REFRESH = "refresh-tok-55";
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: {}, layers: [] });
let server: ReturnType<typeof Bun.serve> | undefined;
const tokenRequests: string[] = [];
/** Bumped to expire every token handed out so far. */
let generation = 0;

function tokenRegistry(): string {
  if (server) return `127.0.0.1:${server.port}`;
  const stored = new Map<string, { body: string; type: string }>([["app:1.0", { body: MANIFEST, type: MediaType.dockerManifest }]]);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const realm = `http://127.0.0.1:${server!.port}/token`;
      if (url.pathname === "/token") {
        let scopes: string[];
        let ok = false;
        if (req.method === "POST") {
          const form = new URLSearchParams(await req.text());
          scopes = form.getAll("scope");
          ok = form.get("grant_type") === "refresh_token" && form.get("refresh_token") === REFRESH && form.get("service") === "mock";
        } else {
          scopes = url.searchParams.getAll("scope");
          ok = req.headers.get("authorization") === `Basic ${Buffer.from(`${TOKEN_USER}:${TOKEN_PW}`).toString("base64")}`;
        }
        tokenRequests.push(`${req.method} ${scopes.join(" ")}`);
        if (!ok) return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, { status: 401 });
        const token = `T${generation}|${scopes.join(" ")}`;
        return Response.json(req.method === "POST" ? { access_token: token } : { token });
      }
      const m = /^\/v2\/([a-z0-9/]+)\/manifests\/([^/]+)$/.exec(url.pathname);
      if (!m) return new Response("not found", { status: 404 });
      const [, repo, ref] = m;
      if (repo === "boom") return Response.json({ errors: [{ code: "UNKNOWN", message: "disk full" }] }, { status: 503 });
      const action = req.method === "PUT" ? "pull,push" : "pull";
      const scope = `repository:${repo}:${action}`;
      const given = req.headers.get("authorization") ?? "";
      if (repo === "echo") {
        // A careless Basic-auth registry that echoes the Authorization header in its error.
        if (!given) return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="echo"' } });
        return Response.json({ errors: [{ code: "DENIED", message: `you sent ${given} and ${TOKEN_PW}` }] }, { status: 400 });
      }
      if (given !== `Bearer T${generation}|${scope}`) {
        return Response.json(
          { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
          { status: 401, headers: { "WWW-Authenticate": `Bearer realm="${realm}",service="mock",scope="${scope}"` } },
        );
      }
      const key = `${repo}:${ref}`;
      if (req.method === "PUT") {
        const body = await req.text();
        stored.set(key, { body, type: req.headers.get("content-type") ?? "" });
        return new Response(null, { status: 201, headers: { "Docker-Content-Digest": sha256Digest(body) } });
      }
      const item = stored.get(key);
      if (!item) return Response.json({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }, { status: 404 });
      // No Docker-Content-Digest: the client computes it.
      return new Response(req.method === "HEAD" ? null : item.body, { headers: { "Content-Type": item.type, "Content-Length": String(item.body.length) } });
    },
  });
  return `127.0.0.1:${server.port}`;
}

describe("token auth (Bearer) against a stand-in registry", () => {
  test("basic credentials get a token per scope, cached for the client's life", async () => {
    const host = tokenRegistry();
    tokenRequests.length = 0;
    const client = new RegistryClient(host, { credentials: { username: TOKEN_USER, password: TOKEN_PW, serveraddress: host } });
    const m = await client.getManifest("app", "1.0");
    expect(m!.digest).toBe(sha256Digest(MANIFEST));
    expect(await client.headManifest("app", "1.0")).toEqual({ digest: sha256Digest(MANIFEST), mediaType: MediaType.dockerManifest, size: MANIFEST.length });
    expect(await client.headManifest("app", "2.0")).toBeUndefined();
    expect(await client.copyTag("app", "1.0", "prod")).toBe(sha256Digest(MANIFEST));
    expect(await client.copyTag("app", "1.0", "dev")).toBe(sha256Digest(MANIFEST));
    expect(tokenRequests).toEqual(["GET repository:app:pull", "GET repository:app:pull,push"]);
  });

  test("an expired token is fetched again once", async () => {
    const host = tokenRegistry();
    const client = new RegistryClient(host, { credentials: { username: TOKEN_USER, password: TOKEN_PW, serveraddress: host } });
    await client.headManifest("app", "1.0");
    tokenRequests.length = 0;
    generation++;
    expect((await client.headManifest("app", "1.0"))!.digest).toBe(sha256Digest(MANIFEST));
    expect(await client.headManifest("app", "1.0")).toBeDefined();
    expect(tokenRequests).toEqual(["GET repository:app:pull"]);
  });

  test("an identity token uses the refresh_token grant", async () => {
    const host = tokenRegistry();
    tokenRequests.length = 0;
    const client = new RegistryClient(host, { credentials: { identitytoken: REFRESH, serveraddress: host } });
    expect((await client.getManifest("app", "1.0"))!.digest).toBe(sha256Digest(MANIFEST));
    expect(tokenRequests).toEqual(["POST repository:app:pull"]);
  });

  test("credentials the token service refuses: exit 3, docker login hint, no secret", async () => {
    const host = tokenRegistry();
    const e = await failure(
      new RegistryClient(host, { credentials: { username: TOKEN_USER, password: "nope-pw-31", serveraddress: host } }).headManifest("app", "1.0"),
      "nope-pw-31",
    );
    expect(e.exitCode).toBe(3);
    expect(e.hint).toBe(`docker login ${host}`);
    const e2 = await failure(new RegistryClient(host, { credentials: null }).headManifest("app", "1.0"));
    expect(e2.message).toBe(`registry ${host} refused access to app (401)`);
  });

  test("5xx is an environment error; a registry echoing credentials is scrubbed", async () => {
    const host = tokenRegistry();
    const client = new RegistryClient(host, { credentials: { username: TOKEN_USER, password: TOKEN_PW, serveraddress: host } });
    const e = await failure(client.getManifest("boom", "1.0"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("answered 503");
    expect(e.message).toContain("disk full");
    const basic = Buffer.from(`${TOKEN_USER}:${TOKEN_PW}`).toString("base64");
    const echo = new RegistryClient(host, { credentials: { username: TOKEN_USER, password: TOKEN_PW, serveraddress: host } });
    const e2 = await failure(echo.getManifest("echo", "1.0"), TOKEN_PW, basic);
    expect(e2.exitCode).toBe(1);
    expect(e2.message).toContain("DENIED: you sent Basic *** and ***");
  });
});

// Registry failures through the compiled binary on the real engine and the bed's registry (the
// e2e counterparts of core/registry's unit tests on the fake engine): what the user reads, the
// exit code, and that nothing was pulled or pushed. The engine is reached through a recording
// unix-socket proxy where a test must show a request was never made.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connect, createServer, type Server, type Socket } from "node:net";
import { docker, dtContainersOf, removeImages } from "../support/docker.ts";
import { dt, dtJson } from "../support/dt.ts";
import { bedEngineHost } from "../support/engine-proxy.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { localTag } from "../support/tags.ts";
import { testbed } from "../support/testbed.ts";

const suffix = Math.random().toString(36).slice(2, 8);
const ns = `dtfail-${suffix}`;
// The runnable dir's name is its image name: unique per run, so the engine's list of it is ours alone.
const app = `dtfail-${suffix}-app`;
const cleanupRepos: string[] = [app];
let root = "";
let dockerConfig = "";

const env = (extra: Record<string, string | undefined> = {}) => ({ USER: "dttest", DT_REGISTRY: undefined, DOCKER_CONFIG: dockerConfig, ...extra });
const cwd = () => join(root, app);

beforeAll(() => {
  // An empty Docker config: no developer credentials in the pushes and pulls.
  dockerConfig = testdir().path;
  // No registry: in dt.yaml; each test sets DT_REGISTRY itself or leaves it unset.
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: dtfail\nbase_image: ${testbed().images.busybox}\n`,
    [`${app}/changelog.txt`]: `# ${app}-0.1.0\n- 2026-11-20\n- First\n`,
    [`${app}/devops/docker_build/os_packages.txt`]: "",
  });
});

const servers = new Set<Server>();
const sockets = new Set<Socket>();

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  await removeImages(cleanupRepos);
  cleanupAll();
});

/**
 * A unix socket forwarding to the bed's engine that records the request line of every HTTP
 * request sent to it ("POST /v1.47/images/create?fromImage=..."): DOCKER_HOST for dt.
 */
async function recordingEngine(): Promise<{ host: string; requests: string[] }> {
  const path = join(testdir().path, "engine.sock");
  const target = bedEngineHost().replace(/^unix:\/\//, "");
  const requests: string[] = [];
  const server = createServer((client) => {
    const engine = connect(target);
    sockets.add(client).add(engine);
    let pending = "";
    client.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      for (const m of pending.matchAll(/(?:^|\r\n)((?:GET|HEAD|POST|PUT|DELETE) \S+) HTTP\/1\.[01]\r\n/g)) requests.push(m[1]!);
      pending = pending.slice(Math.max(0, pending.lastIndexOf("\r\n")));
    });
    client.pipe(engine).pipe(client);
    client.on("error", () => engine.destroy());
    engine.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.add(server);
  return { host: `unix://${path}`, requests };
}

/** The engine's images of a repository: "REPO:TAG id" lines, sorted. */
async function engineImagesOf(repository: string): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [repository] } });
  return images.flatMap((i) => (i.RepoTags ?? []).map((t) => `${t} ${i.Id}`)).sort();
}

/** What the bed's registry says of a repository: its tags, or the error code (NAME_UNKNOWN). */
async function registryTags(path: string): Promise<string[] | string> {
  const res = await fetch(`http://${testbed().registry}/v2/${path}/tags/list`);
  const body = (await res.json()) as { tags?: string[] | null; errors?: { code: string }[] };
  return res.ok ? (body.tags ?? []).sort() : `${res.status} ${body.errors?.[0]?.code}`;
}

async function manifestStatus(path: string, tag: string): Promise<number> {
  const res = await fetch(`http://${testbed().registry}/v2/${path}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json" },
  });
  return res.status;
}

/** A port on 127.0.0.1 nothing listens on (asked of the kernel, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether a connection to 127.0.0.1:port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

describe("no registry configured", () => {
  // Counterpart of test/unit/core/registry/stage-ops.test.ts › pull › "without a registry a run does not try to pull".
  test(
    "dt docker cmd --stage dev of an absent dev image (with and without --pull) never asks the engine to pull: exit 3, the image missing on this engine",
    async () => {
      const engine = await recordingEngine();
      const before = await engineImagesOf(app);
      expect(before).toEqual([]);
      for (const args of [
        ["docker", "cmd", "--stage", "dev", "--", "true"],
        ["docker", "cmd", "--stage", "dev", "--pull", "--", "true"],
      ]) {
        engine.requests.length = 0;
        const r = await dt(args, { cwd: cwd(), env: env({ DOCKER_HOST: engine.host }) });
        // Nothing to pull from: the hint says where a dev image comes from, not a pull that cannot work.
        expect(r.stderr).toBe(
          `error: image ${app}:dev-0.1.0 does not exist on this engine\n  fix: dev images are released to a registry: set registry: in dt.yaml (or DT_REGISTRY), then dt docker pull --stage dev; or run the local image (without --stage)\n`,
        );
        expect(r.stdout).toBe("");
        expect(r.code).toBe(3);
        // dt asked this engine for the image, and never to pull anything.
        expect(engine.requests.some((l) => l.startsWith("GET ") && l.includes(`/images/${app}:dev-0.1.0/json`))).toBe(true);
        expect(engine.requests.filter((l) => l.includes("/images/create"))).toEqual([]);
      }
      expect(await engineImagesOf(app)).toEqual(before);
      expect(await dtContainersOf(root)).toEqual([]);
      // And the pull itself says what is missing, in a pull's words.
      const pull = await dt(["docker", "pull", "--stage", "dev"], { cwd: cwd(), env: env({ DOCKER_HOST: engine.host }) });
      expect(pull.stderr).toContain("error: no registry to pull from\n");
      expect(pull.code).toBe(2);

      // The control: the same run with a registry does ask the engine to pull (so the recording
      // above would have seen it), and fails on the registry having no dev release.
      engine.requests.length = 0;
      const withRegistry = await dt(["docker", "cmd", "--stage", "dev", "--", "true"], {
        cwd: cwd(),
        env: env({ DOCKER_HOST: engine.host, DT_REGISTRY: `${testbed().registry}/${ns}` }),
      });
      expect(withRegistry.code).toBe(3);
      expect(withRegistry.stderr).toContain(`pull ${testbed().registry}/${ns}/${app}:dev-0.1.0\n`);
      expect(withRegistry.stderr).toContain("fix: dt docker release dev\n");
      expect(engine.requests.filter((l) => l.includes("/images/create")).length).toBeGreaterThan(0);
      expect(await engineImagesOf(`${testbed().registry}/${ns}/${app}`)).toEqual([]);
    },
    60_000,
  );
});

describe("dt docker push", () => {
  // Counterpart of test/unit/core/registry/stage-ops.test.ts › push › "a stage not built on this engine is exit 3 ...".
  test(
    "of a stage never built on this engine: exit 3 with the command that builds it, and the registry gets no tag",
    async () => {
      const repo = `${testbed().registry}/${ns}/${app}`;
      cleanupRepos.push(repo);
      const path = `${ns}/${app}`;
      expect(await registryTags(path)).toBe("404 NAME_UNKNOWN");
      const cases = [
        { stage: "prod", tag: "prod-0.1.0", floating: "prod", fix: "dt docker build --stage prod" },
        { stage: "dev", tag: "dev-0.1.0", floating: "dev", fix: "dt docker release dev (builds, tests and pushes)" },
        { stage: "local", tag: localTag(root, "dttest", "0.1.0"), floating: localTag(root, "dttest"), fix: "dt docker build" },
      ];
      for (const c of cases) {
        const r = await dt(["docker", "push", "--stage", c.stage], { cwd: cwd(), env: env({ DT_REGISTRY: `${testbed().registry}/${ns}` }) });
        expect(r.stderr).toBe(`✗ push failed\nerror: image ${repo}:${c.tag} does not exist on this engine\n  fix: ${c.fix}\n`);
        expect(r.code).toBe(3);
        expect(await manifestStatus(path, c.tag)).toBe(404);
        expect(await manifestStatus(path, c.floating)).toBe(404);
      }
      const { result, json } = await dtJson(["docker", "push", "--stage", "prod", "--json"], { cwd: cwd(), env: env({ DT_REGISTRY: `${testbed().registry}/${ns}` }) });
      expect(result.code).toBe(3);
      expect(json).toEqual({
        ok: false,
        exitCode: 3,
        error: { message: `image ${repo}:prod-0.1.0 does not exist on this engine`, where: null, hint: "dt docker build --stage prod" },
      });
      // Nothing reached the registry, and the engine got no tag of the repository either.
      expect(await registryTags(path)).toBe("404 NAME_UNKNOWN");
      expect(await engineImagesOf(repo)).toEqual([]);
    },
    60_000,
  );

  // Counterpart of test/unit/core/registry/transfer.test.ts › pushImage › "a registry the engine cannot reach is exit 3 pointing at the registry address".
  test(
    "to a registry nothing listens on (127.0.0.1, a closed port): exit 3 naming that address, and the built image stays as it was",
    async () => {
      const port = await closedPort();
      expect(await refused(port)).toBe(true);
      const registry = `127.0.0.1:${port}`;
      const repo = `${registry}/${ns}/${app}`;
      cleanupRepos.push(repo);
      const e = env({ DT_REGISTRY: `${registry}/${ns}` });
      const built = await dt(["docker", "build"], { cwd: cwd(), env: e, timeoutMs: 120_000 });
      expect(built.code).toBe(0);
      const versioned = `${repo}:${localTag(root, "dttest", "0.1.0")}`;
      const images = await engineImagesOf(repo);
      expect(images.map((l) => l.split(" ")[0])).toEqual([`${repo}:${localTag(root, "dttest")}`, versioned]);

      const fix = "  fix: check the registry address in dt.yaml (registry:, registries:) or DT_REGISTRY\n";
      const unreachable = `error: registry ${registry} is not reachable while pushing ${versioned}: `;
      const pushed = await dt(["docker", "push", "--stage", "local"], { cwd: cwd(), env: e });
      expect(pushed.code).toBe(3);
      expect(pushed.stderr).toMatch(new RegExp(`^push: push ${versioned.replace(/[.]/g, "\\.")}\n✗ push ${versioned.replace(/[.]/g, "\\.")} failed  \\d+\\.\\ds\n`));
      expect(pushed.stderr).toContain(unreachable);
      // The rest of the line is the engine's own words: the address it dialled and the refusal.
      expect(pushed.stderr).toContain(`dial tcp ${registry}: connect: connection refused\n`);
      expect(pushed.stderr).toEndWith(fix);

      // dt docker build --push reaches the same push, after a build that changes nothing.
      const buildPush = await dt(["docker", "build", "--push"], { cwd: cwd(), env: e, timeoutMs: 120_000 });
      expect(buildPush.code).toBe(3);
      expect(buildPush.stderr).toContain(`✗ build of ${app} failed\n`);
      expect(buildPush.stderr).toContain(unreachable);
      expect(buildPush.stderr).toEndWith(fix);

      // The local image and its tags are as the build left them; nothing listened meanwhile.
      expect(await engineImagesOf(repo)).toEqual(images);
      expect(await refused(port)).toBe(true);
      expect(await dtContainersOf(root)).toEqual([]);
    },
    180_000,
  );
});

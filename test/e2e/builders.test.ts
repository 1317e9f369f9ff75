// builders: of dt.yaml on real engines. A second dockerd on its own socket (test/support/
// second-engine.ts) stands in for the remote arm64 builder; being an amd64 engine on the test
// bed's machine, it builds arm64 through the machine's QEMU, and its architecture check is
// relaxed for these tests only (DT_TEST_RELAX_BUILDER_ARCH=1). A silent builder is a TCP port on
// 127.0.0.1 that accepts and never answers. Registry repositories are unique per run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { docker, removeImages } from "../support/docker.ts";
import { bedEngineHost, certificates, proxy } from "../support/engine-proxy.ts";
import { dt, dtJson } from "../support/dt.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.ts";
import { localTag } from "../support/tags.ts";
import { testbed } from "../support/testbed.ts";

const ns = `dtbld-${Math.random().toString(36).slice(2, 8)}`;
const registry = () => testbed().registry;
const RELAX = { DT_TEST_RELAX_BUILDER_ARCH: "1" };
const env = (extra: Record<string, string> = {}) => ({ USER: "dttest", DT_REGISTRY: `${registry()}/${ns}`, ...extra });
const LIST_TYPES = [
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

async function manifest(repo: string, tag: string) {
  const res = await fetch(`http://${registry()}/v2/${ns}/${repo}/manifests/${tag}`, { headers: { Accept: LIST_TYPES } });
  if (res.status === 404) return undefined;
  const body = await res.text();
  return { digest: res.headers.get("docker-content-digest")!, type: res.headers.get("content-type")!, json: JSON.parse(body), size: body.length };
}

/** The tags the registry holds for a repository (none when it never got a push). */
async function registryTags(repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry()}/v2/${ns}/${repo}/tags/list`);
  return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []);
}

let second: SecondEngine;
const localHost = bedEngineHost;
const base = () => `${registry()}/${ns}/base`;

beforeAll(async () => {
  const tb = testbed();
  if (!tb.images.busyboxArm64) throw new Error("the test bed has no arm64 busybox (QEMU missing?)");
  second = await startSecondEngine();
  // A multi-arch busybox in the registry: each engine pulls its own platform's variant of it.
  const entries = [];
  for (const [image, arch] of [[tb.images.busybox, "amd64"], [tb.images.busyboxArm64, "arm64"]] as const) {
    await docker.getImage(image).tag({ repo: base(), tag: arch });
    expect(spawnSync("docker", ["push", `${base()}:${arch}`]).status).toBe(0);
    const m = (await manifest("base", arch))!;
    entries.push({ mediaType: m.type, digest: m.digest, size: m.size, platform: { os: "linux", architecture: arch } });
  }
  const put = await fetch(`http://${registry()}/v2/${ns}/base/manifests/multi`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.docker.distribution.manifest.list.v2+json" },
    body: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.list.v2+json", manifests: entries }),
  });
  expect(put.status).toBe(201);
}, 120_000);

afterAll(async () => {
  proxy.closeAll();
  await second?.destroy();
  const pinned = `dt-base/${base().replace(/[^a-z0-9._-]+/g, "-")}-multi`;
  const repos = [base(), pinned, ...["two", "fails", "tested", "silent"].map((r) => `${registry()}/${ns}/${r}`)];
  await removeImages(repos);
  // Images run by digest have no tag to remove them by.
  for (const image of await docker.listImages()) {
    if ((image.RepoDigests ?? []).some((d) => repos.some((r) => d.startsWith(`${r}@`)))) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
  }
  cleanupAll();
});

/** A workspace with one runnable dir `name` on the multi-arch busybox, and dt.yaml's `extra` lines. */
function busyboxWorkspace(name: string, extra: string, files: Record<string, string> = {}): string {
  return makeRepo(join(testdir().path, name), {
    "dt.yaml": `name: ${name}\nbase_image: ${base()}:multi\n${extra}`,
    [`${name}/changelog.txt`]: `# ${name}-1.0.0\n- 2026-11-20\n- First\n`,
    [`${name}/devops/docker_build/os_packages.txt`]: "",
    ...files,
  });
}

/** dt's images of workspace `root` on an engine, by architecture. */
async function archsOn(api: typeof docker, root: string): Promise<string[]> {
  const images = await api.listImages({ filters: { label: [`dev.dt.workspace=${root}`] } });
  const archs = await Promise.all(images.map(async (i) => (await api.getImage(i.Id).inspect()).Architecture));
  return archs.sort();
}

describe("builders: a platform built on its own engine", () => {
  test("a two-platform release built on two engines: one index of both, each manifest pullable and of its platform, each pushed from its engine", async () => {
    const ws = busyboxWorkspace("two", `platforms: [linux/amd64, linux/arm64]\nbuilders:\n  linux/arm64: ${second.host}\n`);
    const { result, json } = await dtJson(["docker", "release", "dev", "--skip-tests", "--json"], { cwd: join(ws, "two"), env: env(RELAX), timeoutMs: 240_000 });
    expect(result.code).toBe(0);
    expect(json.builtOn).toEqual({ "linux/amd64": localHost(), "linux/arm64": second.host });

    const index = (await manifest("two", "dev-1.0.0"))!;
    expect(index.type).toBe("application/vnd.docker.distribution.manifest.list.v2+json");
    const entries: { digest: string; platform: { os: string; architecture: string } }[] = index.json.manifests;
    expect(entries.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual(["linux/amd64", "linux/arm64"]);
    expect((await manifest("two", "dev"))!.digest).toBe(index.digest);
    const repo = `${registry()}/${ns}/two`;
    // The arm64 image was built on the second engine and stays there; the host's engine built only amd64.
    expect(await archsOn(second.api(), ws)).toEqual(["arm64"]);
    expect(await archsOn(docker, ws)).toEqual(["amd64"]);
    // Each engine pushed its own: it recorded the registry digest of the manifest it sent.
    const digestOf = (arch: string) => entries.find((m) => m.platform.architecture === arch)!.digest;
    const armImage = await second.api().getImage(`${repo}:${localTag(ws, "dttest", "1.0.0")}-linux-arm64`).inspect();
    expect(armImage.RepoDigests).toContain(`${repo}@${digestOf("arm64")}`);
    const amdImage = await docker.getImage(`${repo}:${localTag(ws, "dttest", "1.0.0")}`).inspect();
    expect(amdImage.RepoDigests).toContain(`${repo}@${digestOf("amd64")}`);

    // Each is pullable from the registry and runs as its platform (the host's engine pulls both).
    for (const m of entries) {
      const platform = `${m.platform.os}/${m.platform.architecture}`;
      const run = spawnSync("docker", ["run", "--rm", "--network", "none", "--platform", platform, `${repo}@${m.digest}`, "uname", "-m"]);
      expect(`${platform}: ${run.stdout.toString().trim()}`).toBe(`${platform}: ${m.platform.architecture === "arm64" ? "aarch64" : "x86_64"}`);
    }

    // dt docker build without --push says which engine holds each platform's image.
    const built = await dt(["docker", "build", "--platform", "linux/amd64,linux/arm64"], { cwd: join(ws, "two"), env: env(RELAX), timeoutMs: 120_000 });
    expect(built.code).toBe(0);
    const tag = localTag(ws, "dttest", "1.0.0");
    const [amd, arm] = built.stderr.split("\n").find((l) => l.startsWith("✓"))!.split("; ");
    // Both built by the release from this very context: skipped, on either engine.
    expect(amd).toBe(`✓ ${repo}:${tag} is up to date (context unchanged), build skipped on the local engine ${localHost()}`);
    expect(arm).toBe(`${repo}:${tag}-linux-arm64 is up to date (context unchanged), build skipped on the builder ${second.host}, where it stays`);
  }, 300_000);

  test("a builder whose build fails: exit 1 naming it and its platform; the registry gets nothing", async () => {
    // Fails on arm64 only, so the host's engine builds fine at the same time.
    const dockerfile = `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN [ "$(uname -m)" != aarch64 ] || { echo "no arm64 here" >&2; exit 7; }\n`;
    const ws = busyboxWorkspace("fails", `platforms: [linux/amd64, linux/arm64]\nbuilders:\n  linux/arm64: ${second.host}\n`, {
      "fails/devops/docker_build/dev.Dockerfile": dockerfile,
    });
    const r = await dt(["docker", "release", "dev", "--skip-tests"], { cwd: join(ws, "fails"), env: env(RELAX), timeoutMs: 240_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`linux/arm64 on the builder ${second.host}: building`);
    expect(r.stderr).toContain("no arm64 here");
    expect(await registryTags("fails")).toEqual([]);
  }, 300_000);

  test("a builder that does not answer: exit 3 naming it within 10 s, the registry holds no new index; dt doctor says the same", async () => {
    const silent = `tcp://127.0.0.1:${await proxy.silent()}`;
    const ws = busyboxWorkspace("silent", `platforms: [linux/amd64, linux/arm64]\nbuilders:\n  linux/arm64: ${silent}\n`);
    const r = await dt(["docker", "release", "dev", "--skip-tests"], { cwd: join(ws, "silent"), env: env(), timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`the builder of linux/arm64 at ${silent} did not answer within 8 s`);
    expect(r.stderr).toContain("builders.linux/arm64");
    expect(r.ms).toBeLessThan(10_000);
    expect(await registryTags("silent")).toEqual([]);

    const doctor = await dtJson(["doctor", "--json"], { cwd: ws, env: env(), timeoutMs: 30_000 });
    expect(doctor.result.code).toBe(3);
    expect(doctor.result.ms).toBeLessThan(10_000);
    const row = doctor.json.checks.find((c: { name: string }) => c.name === "builder linux/arm64");
    expect([row.status, row.detail]).toEqual(["fail", `the builder of linux/arm64 at ${silent} did not answer within 8 s`]);
  }, 60_000);

  test("a release's tests run on the local engine: the host's platform is built there although dt.yaml names a builder for it", async () => {
    const ws = makeRepo(join(testdir().path, "tested"), {
      "dt.yaml": `name: tested\nbase_image: ${testbed().images.pybase}\nbuilders:\n  linux/amd64: ${second.host}\n`,
      "tested/changelog.txt": "# tested-0.1.0\n- 2026-11-20\n- First\n",
      "tested/devops/docker_build/os_packages.txt": "",
      "tested/pytest.ini": "[pytest]\nmarkers =\n    slow: slow\n    superslow: very slow\n",
      "tested/tests/test_it.py": "def test_ok():\n    assert True\n",
    });
    const { result, json } = await dtJson(["docker", "release", "dev", "--suite", "fast", "--json"], { cwd: join(ws, "tested"), env: env(), timeoutMs: 240_000 });
    expect(result.code).toBe(0);
    expect(json.builtOn).toEqual({ "linux/amd64": localHost() });
    expect(json.tests.map((t: { suite: string; ok: boolean }) => [t.suite, t.ok])).toEqual([["fast", true]]);
    expect(await archsOn(second.api(), ws)).toEqual([]);
    expect((await manifest("tested", "dev-0.1.0"))?.digest).toMatch(/^sha256:/);
  }, 300_000);

  test("dt doctor checks each builder: a linux/amd64 engine named for linux/arm64 fails, unless relaxed for tests; its platform needs no QEMU here", async () => {
    const ws = busyboxWorkspace("doc", `platforms: [linux/amd64, linux/arm64]\nbuilders:\n  linux/arm64: ${second.host}\n`);
    const strict = await dtJson(["doctor", "--json"], { cwd: ws, env: env() });
    expect(strict.result.code).toBe(3);
    type Check = { name: string; status: string; detail: string };
    const row = (json: { checks: Check[] }) => json.checks.find((c) => c.name === "builder linux/arm64")!;
    expect(row(strict.json).status).toBe("fail");
    expect(row(strict.json).detail).toBe(`the builder of linux/arm64 at ${second.host} is a linux/amd64 engine, not linux/arm64`);
    expect(strict.json.checks.map((c: { name: string }) => c.name)).not.toContain("platform linux/arm64");
    const relaxed = await dtJson(["doctor", "--json"], { cwd: ws, env: env(RELAX) });
    expect(row(relaxed.json).status).toBe("warn");
    expect(row(relaxed.json).detail).toContain("DT_TEST_RELAX_BUILDER_ARCH=1");
  }, 60_000);

  test("dt doctor reaches a tcp:// builder over TLS with the certificates of DOCKER_CERT_PATH", async () => {
    const { dir, server } = certificates();
    const tls = await proxy.open(server);
    const ws = busyboxWorkspace("tlsdoc", `builders:\n  linux/amd64: tcp://127.0.0.1:${tls}\n`);
    const { result, json } = await dtJson(["doctor", "--json"], { cwd: ws, env: env({ DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir }) });
    const row = json.checks.find((c: { name: string }) => c.name === "builder linux/amd64");
    expect(row.status).toBe("ok");
    expect(row.detail).toContain(`linux/amd64 at tcp://127.0.0.1:${tls}, builds linux/amd64 natively`);
    // docker-modem's url.parse for a tcp:// engine: its deprecation notice is no business of the user's.
    expect(result.stderr).toBe("");
  }, 60_000);

  test("an ssh:// builder is reached through ssh by the compiled binary: with nothing on its port, exit 3 'not reachable (ECONNREFUSED)' at once", async () => {
    // A port just closed: nothing listens there. (The test bed has no sshd to log in to.)
    const closed = await proxy.silent();
    proxy.closeAll();
    const ws = busyboxWorkspace("viassh", `builders:\n  linux/arm64: ssh://dt@127.0.0.1:${closed}\n`);
    const r = await dt(["docker", "build", "--platform", "linux/arm64"], { cwd: join(ws, "viassh"), env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: the builder of linux/arm64 at ssh://dt@127.0.0.1:${closed} is not reachable (ECONNREFUSED)`);
    expect(r.ms).toBeLessThan(5_000);
  }, 60_000);
});

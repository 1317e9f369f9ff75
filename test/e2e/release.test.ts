// dt docker release|push|pull|rollback against the real registries on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { docker, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { localTag } from "../support/tags.ts";

const suffix = Math.random().toString(36).slice(2, 8);
const ns = `dtrel-${suffix}`;
const env = (extra: Record<string, string> = {}) => ({ USER: "dttest", DT_REGISTRY: `${testbed().registry}/${ns}`, ...extra });
const cleanupRepos: string[] = [];

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

async function manifest(registry: string, repo: string, tag: string, auth?: string) {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: MANIFEST_TYPES, ...(auth ? { Authorization: `Basic ${auth}` } : {}) },
  });
  if (res.status === 404) return undefined;
  const body = await res.text();
  return { digest: res.headers.get("docker-content-digest")!, type: res.headers.get("content-type")!, json: JSON.parse(body) };
}

function pyRunnable(name: string, testBody = "def test_ok():\n    assert True\n"): Record<string, string> {
  return {
    [`${name}/changelog.txt`]: `# ${name}-0.1.0\n- 2026-11-20\n- First\n`,
    [`${name}/devops/docker_build/os_packages.txt`]: "",
    [`${name}/pytest.ini`]: "[pytest]\nmarkers =\n    slow: slow\n    superslow: very slow\n",
    [`${name}/tests/test_${name}.py`]: testBody,
    [`${name}/app.py`]: "VALUE = 1\n",
  };
}

let root = "";
beforeAll(() => {
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: rel\nbase_image: ${testbed().images.pybase}\n`,
    ...pyRunnable("svc", "import pytest\n\ndef test_ok():\n    assert True\n\n@pytest.mark.slow\ndef test_slow_ok():\n    assert True\n"),
    ...pyRunnable("broken", "def test_broken():\n    assert False, 'broken on purpose'\n"),
  });
  cleanupRepos.push(`${testbed().registry}/${ns}/svc`, `${testbed().registry}/${ns}/broken`);
});

afterAll(async () => {
  await removeImages(cleanupRepos);
  cleanupAll();
});

// Each test runs alone too (`-t NAME`): the ones that need svc's dev release call releaseDev(),
// which releases it once for the file, and the rollback test puts svc's version back.
describe("dt docker release dev|prod and rollback", () => {
  const cwd = () => join(root, "svc");
  let devRelease: ReturnType<typeof dtJson<any>> | undefined;
  const releaseDev = () => (devRelease ??= dtJson(["docker", "release", "dev", "--json"], { cwd: cwd(), env: env() }));

  test("--dry-run prints the plan and changes nothing", async () => {
    const tags = () => Promise.all(["dev-0.1.0", "dev"].map((tag) => manifest(testbed().registry, `${ns}/svc`, tag)));
    const before = await tags();
    const r = await dt(["docker", "release", "dev", "--dry-run"], { cwd: cwd(), env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1. build the local image of svc 0.1.0");
    expect(r.stdout).toContain("run the suites fast, slow");
    expect(r.stdout).toContain(`tag and push ${testbed().registry}/${ns}/svc:dev-0.1.0 and :dev`);
    expect(await tags()).toEqual(before);
  });

  test("release dev: tests run, then dev-X.Y.Z and dev exist with the same digest; a second run pushes nothing", async () => {
    const { result, json } = await releaseDev();
    expect(result.code).toBe(0);
    expect(json.tests.map((t: any) => [t.suite, t.ok, t.totals.passed])).toEqual([["fast", true, 1], ["slow", true, 1]]);
    const versioned = await manifest(testbed().registry, `${ns}/svc`, "dev-0.1.0");
    const floating = await manifest(testbed().registry, `${ns}/svc`, "dev");
    expect(versioned?.digest).toMatch(/^sha256:/);
    expect(floating?.digest).toBe(versioned!.digest);

    const again = await dtJson(["docker", "release", "dev", "--json"], { cwd: cwd(), env: env() });
    expect(again.result.code).toBe(0);
    expect(again.json.alreadyReleased).toBe(true);
    expect(again.json.pushed).toEqual([]);
    expect(again.json.tests).toEqual([]);
    const text = await dt(["docker", "release", "dev"], { cwd: cwd(), env: env() });
    expect(text.stderr).toContain("already released; nothing pushed");
    expect((await manifest(testbed().registry, `${ns}/svc`, "dev"))?.digest).toBe(versioned!.digest);
  });

  test("release prod builds FROM the released dev image and pushes prod-X.Y.Z and prod", async () => {
    expect((await releaseDev()).result.code).toBe(0);
    const r = await dt(["docker", "release", "prod", "--skip-tests"], { cwd: cwd(), env: env() });
    expect(r.stderr).toContain("released");
    expect(r.code).toBe(0);
    const versioned = await manifest(testbed().registry, `${ns}/svc`, "prod-0.1.0");
    expect((await manifest(testbed().registry, `${ns}/svc`, "prod"))?.digest).toBe(versioned!.digest);
    const info = await docker.getImage(`${testbed().registry}/${ns}/svc:prod-0.1.0`).inspect();
    expect(info.Config.Labels["dev.dt.stage"]).toBe("prod");
    const ls = await dt(["docker", "cmd", "--stage", "prod", "--", "ls", "/app"], { cwd: cwd(), env: env() });
    expect(ls.stdout).toContain("app.py");
  });

  test("rollback dev --version of the older version moves dev back, in the registry and locally", async () => {
    expect((await releaseDev()).result.code).toBe(0);
    const v1 = (await manifest(testbed().registry, `${ns}/svc`, "dev-0.1.0"))!.digest;
    writeFileSync(join(cwd(), "devops/docker_build/os_packages.txt"), "# changed for 0.1.1\n");
    try {
      expect((await dt(["version", "bump", "patch", "-m", "Second"], { cwd: cwd(), env: env() })).stdout.trim()).toBe("0.1.1");
      const r = await dt(["docker", "release", "dev", "--skip-tests"], { cwd: cwd(), env: env() });
      expect(r.code).toBe(0);
      const v2 = (await manifest(testbed().registry, `${ns}/svc`, "dev-0.1.1"))!.digest;
      expect(v2).not.toBe(v1);
      expect((await manifest(testbed().registry, `${ns}/svc`, "dev"))!.digest).toBe(v2);
      const back = await dt(["docker", "rollback", "dev", "--version", "0.1.0"], { cwd: cwd(), env: env() });
      expect(back.code).toBe(0);
      expect((await manifest(testbed().registry, `${ns}/svc`, "dev"))!.digest).toBe(v1);
      const local = await docker.getImage(`${testbed().registry}/${ns}/svc:dev`).inspect();
      expect(local.Config.Labels["org.opencontainers.image.version"]).toBe("0.1.0");
      expect(back.stderr).toContain(`✓ ${testbed().registry}/${ns}/svc:dev moved from 0.1.1 to 0.1.0`);
      const missing = await dt(["docker", "rollback", "dev", "--version", "9.9.9"], { cwd: cwd(), env: env() });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`svc:dev-9.9.9 does not exist in the registry: the released dev versions are 0.1.1, 0.1.0`);
      expect(missing.stderr).toContain("fix: dt docker rollback dev --version 0.1.1");
      expect((await manifest(testbed().registry, `${ns}/svc`, "dev"))!.digest).toBe(v1);
    } finally {
      // Back to 0.1.0 (whose dev release dev now points at again), for the tests that follow.
      git(root, ["checkout", "--", "svc"]);
    }
  });

  test("dt docker push --version of another version says which floating tag it moved, in text and JSON", async () => {
    const pushed = await dtJson(["docker", "push", "--stage", "dev", "--version", "0.1.1", "--json"], { cwd: cwd(), env: env() });
    expect(pushed.result.code).toBe(0);
    expect(pushed.json.ok).toBe(true);
    expect(pushed.json.moved).toEqual([{ repository: `${testbed().registry}/${ns}/svc`, tag: "dev", from: "0.1.0", to: "0.1.1" }]);
    expect(pushed.result.stderr).toContain(`✓ ${testbed().registry}/${ns}/svc:dev moved from 0.1.0 to 0.1.1`);
    const back = await dt(["docker", "push", "--stage", "dev", "--version", "0.1.0"], { cwd: cwd(), env: env() });
    expect(back.code).toBe(0);
    expect(back.stderr).toContain(`; moved ${testbed().registry}/${ns}/svc:dev from 0.1.1 to 0.1.0`);
    const again = await dt(["docker", "push", "--stage", "dev", "--version", "0.1.0"], { cwd: cwd(), env: env() });
    expect(again.stderr).toContain(`svc:dev already pointed at 0.1.0`);
    expect(again.stderr).not.toContain("; moved");
  });

  test("a failing test stops release dev with exit 1: the test step is never shown done, pytest's FAILED line is, and no dev tag exists anywhere", async () => {
    const r = await dt(["docker", "release", "dev"], { cwd: join(root, "broken"), env: env() });
    expect(r.code).toBe(1);
    // Piped: each step's line, its progress, then its ✓ once it succeeded.
    const started = r.stderr.indexOf("release dev: build local broken 0.1.0");
    const progress = r.stderr.indexOf("Step 1/");
    const built = r.stderr.search(/✓ built \S+broken:local-\S+-0\.1\.0/);
    expect(started).toBeGreaterThanOrEqual(0);
    expect(progress).toBeGreaterThan(started);
    expect(built).toBeGreaterThan(progress);
    expect(r.stderr).not.toMatch(/✓ (test|suite)/);
    expect(r.stderr).toMatch(/✗ test: suite fast in \S+: 0 passed, 1 failed/);
    expect(r.stderr).toContain("  FAILED tests/test_broken.py::test_broken - AssertionError: broken on purpose");
    expect(r.stderr).toContain("(1 failed): tests/test_broken.py::test_broken; nothing was tagged or pushed");
    expect(r.stderr).toContain("fix: fix the tests (dt test --suite fast), or release anyway with --skip-tests");
    expect(await manifest(testbed().registry, `${ns}/broken`, "dev-0.1.0")).toBeUndefined();
    expect(await manifest(testbed().registry, `${ns}/broken`, "dev")).toBeUndefined();
    for (const tag of ["dev-0.1.0", "dev"]) {
      expect(await docker.getImage(`${testbed().registry}/${ns}/broken:${tag}`).inspect().then(() => "present", () => "absent")).toBe("absent");
    }
  });

  test("dt docker pull of a missing dev image, and cmd --stage dev pulls it by itself", async () => {
    expect((await releaseDev()).result.code).toBe(0);
    await docker.getImage(`${testbed().registry}/${ns}/svc:dev`).remove({ force: true }).catch(() => {});
    const pulled = await dt(["docker", "pull"], { cwd: cwd(), env: env() });
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toContain(`pulled ${testbed().registry}/${ns}/svc:dev`);
    await docker.getImage(`${testbed().registry}/${ns}/svc:dev`).remove({ force: true }).catch(() => {});
    const run = await dt(["docker", "cmd", "--stage", "dev", "--skip-checks", "--", "sh", "-c", "echo $DT_STAGE"], { cwd: cwd(), env: env() });
    expect(run.stdout).toBe("dev\n");
    expect(run.code).toBe(0);
  });
});

describe("dt docker build --push", () => {
  test("pushes the built stage's versioned and floating tags to the registry, with the same digest", async () => {
    const ws = makeRepo(join(testdir().path, "bpush"), {
      "dt.yaml": `name: bpush\nbase_image: ${testbed().images.busybox}\n`,
      ...pyRunnable("pushed"),
    });
    cleanupRepos.push(`${testbed().registry}/${ns}/pushed`);
    const { result, json } = await dtJson(["docker", "build", "--push", "--json"], { cwd: join(ws, "pushed"), env: env() });
    expect(result.code).toBe(0);
    const versioned = await manifest(testbed().registry, `${ns}/pushed`, localTag(ws, "dttest", "0.1.0"));
    expect(versioned?.digest).toMatch(/^sha256:/);
    expect((await manifest(testbed().registry, `${ns}/pushed`, localTag(ws, "dttest")))?.digest).toBe(versioned!.digest);
    expect(json.pushed.map((t: any) => [t.tag, t.digest])).toEqual([
      [localTag(ws, "dttest", "0.1.0"), versioned!.digest],
      [localTag(ws, "dttest"), versioned!.digest],
    ]);
    expect(json.platforms.map((p: any) => p.image)).toEqual([json.image]);
  });

  test("with no registry configured: exit 2 before anything is built", async () => {
    const ws = makeRepo(join(testdir().path, "noreg"), {
      "dt.yaml": `name: noreg\nbase_image: ${testbed().images.busybox}\n`,
      ...pyRunnable("lonely"),
    });
    const r = await dt(["docker", "build", "--push"], { cwd: join(ws, "lonely"), env: { USER: "dttest", DT_REGISTRY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no registry");
    expect(r.stderr).not.toContain("built ");
  });
});

describe("multi-arch", () => {
  test("platforms [linux/amd64, linux/arm64]: the tag is an index of both, and each runs (uname -m)", async () => {
    if (!testbed().images.busyboxArm64) throw new Error("the test bed has no arm64 busybox (QEMU missing?)");
    // A multi-arch base in the registry: the builder pulls the right platform of it for each build.
    const base = `${testbed().registry}/${ns}/base`;
    // With the pins dt makes of each platform's base (dt-base/...:linux-ARCH), unique to this run.
    cleanupRepos.push(base, `${testbed().registry}/${ns}/multi`, `dt-base/${base.replace(/[^a-z0-9._-]+/g, "-")}-multi`);
    for (const [image, arch] of [[testbed().images.busybox, "amd64"], [testbed().images.busyboxArm64!, "arm64"]] as const) {
      await docker.getImage(image).tag({ repo: base, tag: arch });
      const push = Bun.spawnSync(["docker", "push", `${base}:${arch}`]);
      expect(push.exitCode).toBe(0);
    }
    const entries = [];
    for (const arch of ["amd64", "arm64"]) {
      const m = await manifest(testbed().registry, `${ns}/base`, arch);
      const size = (await fetch(`http://${testbed().registry}/v2/${ns}/base/manifests/${arch}`, { headers: { Accept: MANIFEST_TYPES } }).then((r) => r.arrayBuffer())).byteLength;
      entries.push({ mediaType: m!.type, digest: m!.digest, size, platform: { os: "linux", architecture: arch } });
    }
    const put = await fetch(`http://${testbed().registry}/v2/${ns}/base/manifests/multi`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.docker.distribution.manifest.list.v2+json" },
      body: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.list.v2+json", manifests: entries }),
    });
    expect(put.status).toBe(201);

    const ws = makeRepo(join(testdir().path, "multi"), {
      "dt.yaml": `name: multi\nbase_image: ${base}:multi\nplatforms: [linux/amd64, linux/arm64]\n`,
      "multi/changelog.txt": "# multi-1.0.0\n- 2026-11-20\n- First\n",
      "multi/devops/docker_build/os_packages.txt": "",
    });
    const r = await dt(["docker", "release", "dev", "--skip-tests"], { cwd: join(ws, "multi"), env: env() });
    expect(r.stderr).toContain("manifest list");
    expect(r.code).toBe(0);
    const index = await manifest(testbed().registry, `${ns}/multi`, "dev-1.0.0");
    expect(index!.type).toBe("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(index!.json.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual(["linux/amd64", "linux/arm64"]);
    expect((await manifest(testbed().registry, `${ns}/multi`, "dev"))!.digest).toBe(index!.digest);
    for (const [platform, uname] of [["linux/amd64", "x86_64"], ["linux/arm64", "aarch64"]] as const) {
      const ref = `${testbed().registry}/${ns}/multi:dev-1.0.0`;
      const run = Bun.spawnSync(["docker", "run", "--rm", "--network", "none", "--pull", "always", "--platform", platform, ref, "uname", "-m"]);
      expect(run.stdout.toString().trim()).toBe(uname);
    }
    const again = await dtJson(["docker", "release", "dev", "--skip-tests", "--json"], { cwd: join(ws, "multi"), env: env() });
    expect(again.json.alreadyReleased).toBe(true);

    // dt docker build does the same for any stage, without tests: both platforms, one index.
    const built = await dtJson(["docker", "build", "--platform", "linux/amd64,linux/arm64", "--push", "--json"], { cwd: join(ws, "multi"), env: env() });
    expect(built.result.code).toBe(0);
    expect(built.json.platforms.map((p: any) => p.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    expect(built.json.platforms[1].image).toEndWith(`${localTag(ws, "dttest", "1.0.0")}-linux-arm64`);
    const local = await manifest(testbed().registry, `${ns}/multi`, localTag(ws, "dttest", "1.0.0"));
    expect(local!.type).toBe("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(local!.json.manifests.map((m: any) => m.platform.architecture).sort()).toEqual(["amd64", "arm64"]);
    expect((await manifest(testbed().registry, `${ns}/multi`, localTag(ws, "dttest")))!.digest).toBe(local!.digest);
  });
});

describe("credentials (htpasswd registry)", () => {
  test("without credentials: exit 3 and a login hint; with them in a temp Docker config: success, and the password appears nowhere", async () => {
    const tb = testbed();
    const ws = makeRepo(join(testdir().path, "auth"), {
      "dt.yaml": `name: authws\nbase_image: ${tb.images.busybox}\n`,
      "tiny/changelog.txt": "# tiny-0.1.0\n- 2026-11-20\n- First\n",
      "tiny/devops/docker_build/os_packages.txt": "",
    });
    cleanupRepos.push(`${tb.authRegistry}/${ns}/tiny`);
    const authEnv = (config: string) => env({ DT_REGISTRY: `${tb.authRegistry}/${ns}`, DOCKER_CONFIG: config });
    const empty = testdir().path;
    const denied = await dt(["docker", "release", "dev", "--skip-tests"], { cwd: join(ws, "tiny"), env: authEnv(empty) });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain(`docker login ${tb.authRegistry}`);

    const config = testdir().path;
    mkdirSync(config, { recursive: true });
    const auth = Buffer.from(`${tb.auth.username}:${tb.auth.password}`).toString("base64");
    writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [tb.authRegistry]: { auth } } }));
    const outputs: string[] = [];
    for (const args of [
      ["docker", "release", "dev", "--skip-tests", "--verbose"],
      ["docker", "release", "dev", "--skip-tests", "--json"],
      ["docker", "push", "--stage", "dev", "--verbose"],
      ["docker", "pull", "--stage", "dev", "--json"],
      ["doctor", "--json"],
    ]) {
      const r = await dt(args, { cwd: join(ws, "tiny"), env: authEnv(config) });
      expect(r.code).toBe(args[0] === "doctor" ? r.code : 0);
      outputs.push(r.stdout, r.stderr);
    }
    const wrong = join(testdir().path, "wrong");
    mkdirSync(wrong);
    writeFileSync(join(wrong, "config.json"), JSON.stringify({ auths: { [tb.authRegistry]: { auth: Buffer.from(`${tb.auth.username}:not-${tb.auth.password}`).toString("base64") } } }));
    const refused = await dt(["docker", "push", "--stage", "dev", "--verbose"], { cwd: join(ws, "tiny"), env: authEnv(wrong) });
    expect(refused.code).toBe(3);
    outputs.push(refused.stdout, refused.stderr);
    const all = outputs.join("\n");
    expect(all).not.toContain(tb.auth.password);
    expect(all).not.toContain(auth);
    expect((await manifest(tb.authRegistry, `${ns}/tiny`, "dev-0.1.0", auth))?.digest).toMatch(/^sha256:/);
  });
});

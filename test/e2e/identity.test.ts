// Image identity (SPEC): each checkout its own local images, one name per runnable dir, local
// images found by their labels; and the example workspace released to dev and prod, offline.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, removeImages } from "../support/docker.ts";
import { dt, dtJson } from "../support/dt.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { localTag } from "../support/tags.ts";
import { testbed } from "../support/testbed.ts";

const env = { USER: "dttest" };
const suffix = Math.random().toString(36).slice(2, 8);
const image = `dtid-${suffix}-svc`;
let a = "";
let b = "";

beforeAll(() => {
  const tmp = testdir().path;
  const helpers = makeRepo(join(tmp, "upstream", "helpers"), { "lib.py": "X = 1\n" });
  const upstream = makeRepo(join(tmp, "upstream", "orders"), {
    "dt.yaml": `name: dtid\nbase_image: ${testbed().images.busybox}\nversion_policy: exact\n`,
    "svc/changelog.txt": "# svc-0.1.0\n- 2026-11-20\n- First\n",
    "svc/dt.yaml": `image: ${image}\n`,
    "svc/devops/.keep": "",
  });
  addSubmodule(upstream, helpers, "helpers_root");
  // Two checkouts of one repo, in dirs of the same name under different parents.
  a = join(tmp, "a", "orders");
  b = join(tmp, "b", "orders");
  for (const dir of [a, b]) {
    mkdirSync(join(dir, ".."), { recursive: true });
    git(tmp, ["clone", "-q", "--recurse-submodules", upstream, dir]);
  }
});

afterAll(async () => {
  await removeImages([image, `${testbed().registry}/${image}`]);
  cleanupAll();
});

const localStage = async (root: string) => (await dtJson(["ls", "--json"], { cwd: root, env })).json.runnableDirs.find((d: any) => d.path === "svc").stages.local;

describe("two checkouts of one repo", () => {
  test("each sees only its own local images; a run in the unbuilt one is exit 3 'not built in this workspace'", async () => {
    expect((await dt(["docker", "build", "--dir", "svc"], { cwd: a, env })).code).toBe(0);
    expect(await localStage(a)).toBe(true);
    expect(await localStage(b)).toBe(false);
    const run = await dt(["docker", "cmd", "--dir", "svc", "--", "true"], { cwd: b, env });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("svc 0.1.0 is not built in this workspace");
    // No registry: nothing released to pull, so the fix is the build alone.
    expect(run.stderr).toContain("fix: dt docker build\n");
    // The tags of the two checkouts differ: the workspace key is in them.
    expect(localTag(a, "dttest")).not.toBe(localTag(b, "dttest"));
  });

  test("bumping and rebuilding one checkout leaves the other's version check green", async () => {
    expect((await dt(["docker", "build", "--dir", "svc"], { cwd: b, env })).code).toBe(0);
    expect((await dt(["version", "bump", "patch", "-m", "Next", "--dir", "svc"], { cwd: a, env })).code).toBe(0);
    expect((await dt(["docker", "build", "--dir", "svc"], { cwd: a, env })).code).toBe(0);
    const checkB = await dt(["version", "check", "--dir", "svc"], { cwd: b, env });
    expect(checkB.stdout).toContain("is 0.1.0, the code needs 0.1.0");
    expect(checkB.code).toBe(0);
    const checkA = await dt(["version", "check", "--dir", "svc"], { cwd: a, env });
    expect(checkA.stdout).toContain("is 0.1.1, the code needs 0.1.1");
    const inB = await dt(["docker", "cmd", "--dir", "svc", "--", "sh", "-c", "echo $DT_VERSION"], { cwd: b, env });
    expect(inB.stdout).toBe("0.1.0\n");
  });

  test("adding registry: to dt.yaml orphans nothing: ls still shows the local stage, runs and checks still find it", async () => {
    writeFileSync(join(b, "dt.yaml"), `name: dtid\nbase_image: ${testbed().images.busybox}\nversion_policy: exact\nregistry: ${testbed().registry}\n`);
    expect(await localStage(b)).toBe(true);
    expect((await dt(["version", "check", "--dir", "svc"], { cwd: b, env })).code).toBe(0);
    const run = await dt(["docker", "cmd", "--dir", "svc", "--", "true"], { cwd: b, env });
    expect(run.code).toBe(0);
    // Found by its labels, the image got this workspace's name under the new registry.
    expect(await imageExists(`${testbed().registry}/${image}:${localTag(b, "dttest", "0.1.0")}`)).toBe(true);
  });

  test("images of the scheme before workspace keys are found by clean and retagged", async () => {
    const old = `${image}:local-dttest-0.1.0`;
    const id = (await docker.getImage(`${image}:${localTag(a, "dttest", "0.1.1")}`).inspect()).Id;
    await docker.getImage(id).tag({ repo: image, tag: "local-dttest-0.1.0" });
    const dry = await dt(["docker", "clean", "--dry-run"], { cwd: a, env });
    expect(dry.stdout).toContain(`would retag ${old} -> ${image}:${localTag(a, "dttest", "0.1.1")}`);
    expect(await imageExists(old)).toBe(true);
    const real = await dt(["docker", "clean"], { cwd: a, env });
    expect(real.stdout).toContain(`retagged ${old}`);
    expect(await imageExists(old)).toBe(false);
    expect(await imageExists(`${image}:${localTag(a, "dttest", "0.1.1")}`)).toBe(true);
  });
});

describe("dt ls and a dir not built", () => {
  // Not found by its name, a local image is looked for by its labels in a listing of the engine's
  // images; dt keeps that listing's answer while the engine's image count stays. Each step here
  // changes the count: the answer must follow it.
  test("not built on every run; built once an image under an earlier registry's name lands; not built once it is removed", async () => {
    const svc = `dtid-${suffix}-unbuilt`;
    const config = (registry: string) => `name: dtunbuilt\nbase_image: ${testbed().images.busybox}\n${registry}`;
    const root = makeRepo(join(testdir().path, "unbuilt"), {
      "dt.yaml": config(""),
      "svc/changelog.txt": "# svc-0.1.0\n- 2026-11-20\n- First\n",
      "svc/dt.yaml": `image: ${svc}\n`,
      "svc/devops/.keep": "",
    });
    try {
      expect(await localStage(root)).toBe(false);
      expect(await localStage(root)).toBe(false);
      expect((await dt(["docker", "build", "--dir", "svc"], { cwd: root, env })).code).toBe(0);
      writeFileSync(join(root, "dt.yaml"), config(`registry: ${testbed().registry}\n`));
      expect(await localStage(root)).toBe(true);
      await removeImages([svc]);
      expect(await localStage(root)).toBe(false);
    } finally {
      await removeImages([svc, `${testbed().registry}/${svc}`]);
    }
  });
});

describe("one image name per runnable dir", () => {
  test("two dirs with one basename are exit 2 naming both, until one sets image:", async () => {
    const root = makeRepo(join(testdir().path, "dup"), {
      "dt.yaml": `name: dtdup\nbase_image: ${testbed().images.busybox}\n`,
      "svcA/api/changelog.txt": "# api-0.1.0\n- 2026-11-20\n- First\n",
      "svcA/api/devops/.keep": "",
      "svcB/api/changelog.txt": "# api-0.1.0\n- 2026-11-20\n- First\n",
      "svcB/api/devops/.keep": "",
    });
    const r = await dt(["docker", "build", "--dir", "svcA/api"], { cwd: root, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("runnable dirs svcA/api and svcB/api both have the image api");
    expect(r.stderr).toContain("fix: set a distinct image: in svcA/api/dt.yaml or svcB/api/dt.yaml");
    const ls = await dt(["ls"], { cwd: root, env });
    expect(ls.stderr).toContain("svcA/api: image api is also svcB/api's");
    writeFileSync(join(root, "svcB/api/dt.yaml"), `image: dtdup-${suffix}-b-api\n`);
    // No build needed to show it is accepted now: --dry-run of the check is the build itself, so
    // use a command that checks names and stops before the engine: push of a stage never built.
    const push = await dt(["docker", "push", "--dir", "svcA/api", "--stage", "local"], { cwd: root, env: { ...env, DT_REGISTRY: testbed().registry } });
    expect(push.stderr).not.toContain("both have the image");
    expect(push.code).toBe(3);
  });
});

describe("the example workspace, released end to end offline", () => {
  const ns = `dtex-${suffix}`;
  const exEnv = () => ({ ...env, DT_REGISTRY: `${testbed().registry}/${ns}` });
  let ex = "";

  beforeAll(async () => {
    ex = join(testdir().path, "example");
    const r = await dt(["init", "--example", ex, "--base-image", testbed().images.pybase], { cwd: testdir().path });
    expect(r.code).toBe(0);
  });

  afterAll(async () => {
    await removeImages(["pricer", "reporter", "helpers_root", "demo"].map((n) => `${testbed().registry}/${ns}/${n}`));
  });

  test("dt docker release dev then prod of apps/pricer succeed; the prod image runs the tests with the shared library", async () => {
    const dev = await dt(["docker", "release", "dev", "--dir", "apps/pricer"], { cwd: ex, env: exEnv(), timeoutMs: 600_000 });
    expect(dev.stderr).not.toContain("error:");
    expect(dev.code).toBe(0);
    const prod = await dt(["docker", "release", "prod", "--dir", "apps/pricer"], { cwd: ex, env: exEnv(), timeoutMs: 600_000 });
    expect(prod.stderr).not.toContain("error:");
    expect(prod.code).toBe(0);
    // Nothing of the workspace is mounted in prod: mylib comes from the image itself.
    const where = await dt(["docker", "cmd", "--dir", "apps/pricer", "--stage", "prod", "--", "python3", "-c", "import mylib; print(mylib.__file__)"], { cwd: ex, env: exEnv() });
    expect(where.code).toBe(0);
    expect(where.stdout).toBe("/opt/dt/project/devops/docker_build/python_packages/mylib/__init__.py\n");
  }, 900_000);

  test("a container run as root leaves every repo's git status clean (no bytecode in the mounted sources)", async () => {
    const build = await dt(["docker", "build", "--dir", "apps/reporter"], { cwd: ex, env: exEnv(), timeoutMs: 300_000 });
    expect(build.code).toBe(0);
    const r = await dt(["docker", "cmd", "--root", "--dir", "apps/reporter", "--", "python3", "-c", "import mylib, reporter; print('ok')"], { cwd: ex, env: exEnv() });
    expect(r.stdout).toBe("ok\n");
    expect(git(ex, ["status", "--porcelain"])).toBe("");
    expect(git(join(ex, "helpers_root"), ["status", "--porcelain", "--ignored"])).toBe("");
  }, 300_000);
});

async function imageExists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

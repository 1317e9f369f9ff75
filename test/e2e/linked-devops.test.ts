// A super-repo of the older toolchain, built from scratch: a helpers-like sub-repo holds the
// shared Dockerfile (which needs a build arg) and its install script; three runnable dirs link
// their devops/docker_build files into it. dt builds, tests and selects them with no edit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dtContainersOf, removeImages } from "../support/docker.ts";
import { dt, dtJson } from "../support/dt.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

const env = { USER: "dttest" };
const suffix = Math.random().toString(36).slice(2, 8);
const DIRS = ["apps/alpha", "apps/beta", "apps/gamma"];
const imageOf = (dir: string) => `dtl-${suffix}-${dir.split("/")[1]}`;
let root = "";

const SHARED_DOCKERFILE = [
  "ARG BASE_IMAGE",
  "FROM ${BASE_IMAGE}",
  "ARG POETRY_MODE",
  "COPY . /opt/dt/project/",
  "RUN sh /opt/dt/project/devops/docker_build/install_shared.sh",
  'ENTRYPOINT ["/opt/dt/project/devops/docker_run/entrypoint.sh"]',
  "",
].join("\n");

// Like the older toolchain's scripts: refuses to run without its build arg.
const INSTALL_SHARED = [
  'test -n "$POETRY_MODE" || { echo "POETRY_MODE is not set" >&2; exit 1; }',
  'echo "shared install, mode $POETRY_MODE" > /opt/shared-install',
  "sh /opt/dt/project/devops/docker_build/install.sh",
  "",
].join("\n");

function linkDevops(dir: string) {
  for (const file of ["dev.Dockerfile", "install_shared.sh"]) {
    symlinkSync(`../../../../helpers_root/devops/docker_build/${file}`, join(root, dir, "devops/docker_build", file));
  }
}

beforeAll(async () => {
  const tmp = testdir().path;
  const helpers = makeRepo(join(tmp, "upstream-helpers"), {
    "devops/docker_build/dev.Dockerfile": SHARED_DOCKERFILE,
    "devops/docker_build/install_shared.sh": INSTALL_SHARED,
    "hlib.py": 'def greet():\n    return "hello from helpers"\n',
  });
  const files: Record<string, string> = {
    "dt.yaml": `name: lnk\nbase_image: ${testbed().images.pybase}\ndocker:\n  build_args:\n    POETRY_MODE: "update-\${VERSION}"\n`,
  };
  for (const dir of DIRS) {
    const name = dir.split("/")[1]!;
    files[`${dir}/changelog.txt`] = `# ${name}-0.1.0\n- 2026-11-20\n- First\n`;
    files[`${dir}/dt.yaml`] = `image: ${imageOf(dir)}\n`;
    files[`${dir}/devops/docker_build/.keep`] = "";
    files[`${dir}/tests/test_${name}.py`] = [
      "from hlib import greet",
      "",
      "def test_uses_the_sub_repo():",
      '    assert greet() == "hello from helpers"',
      "",
      "def test_image_has_the_linked_install():",
      '    assert open("/opt/shared-install").read() == "shared install, mode update-0.1.0\\n"',
      "",
    ].join("\n");
  }
  root = makeRepo(join(tmp, "super"), files);
  addSubmodule(root, helpers, "helpers_root");
  for (const dir of DIRS) linkDevops(dir);
  git(root, ["add", "-A"]);
  git(root, ["commit", "-q", "-m", "Link the shared devops files"]);
  // A fresh clone, as a new user gets it: the links come from git, not from this test's hands.
  const clone = join(tmp, "clone-of-super");
  git(tmp, ["clone", "-q", "--recurse-submodules", root, clone]);
  root = clone;
}, 120_000);

afterAll(async () => {
  await removeImages(DIRS.map(imageOf));
  cleanupAll();
});

describe("a workspace whose runnable dirs link their devops into a sub-repo", () => {
  test("dt docker build --all builds every dir; each image holds the linked script's work and the build arg's value", async () => {
    const { result, json } = await dtJson(["docker", "build", "--all", "--json"], { cwd: root, env, timeoutMs: 600_000 });
    expect(result.code).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.builds.map((b: any) => [b.dir, b.status])).toEqual(DIRS.map((d) => [d, "built"]));
    for (const dir of DIRS) {
      const r = await dt(["docker", "cmd", "--dir", dir, "--", "cat", "/opt/shared-install"], { cwd: root, env });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("shared install, mode update-0.1.0\n");
    }
  }, 600_000);

  test("dt test --all passes, every dir running a test that imports the sub-repo's code", async () => {
    const { result, json } = await dtJson(["test", "--all", "--json"], { cwd: root, env, timeoutMs: 300_000 });
    expect(result.code).toBe(0);
    expect(json.dirs.map((d: any) => [d.dir, d.status, d.counts.passed])).toEqual(DIRS.map((d) => [d, "passed", 2]));
    expect(await dtContainersOf(root)).toEqual([]);
  }, 300_000);

  test("dt ci matrix --changed after an edit of the shared Dockerfile lists every linking dir, with the link as the reason", async () => {
    const shared = join(root, "helpers_root/devops/docker_build/dev.Dockerfile");
    const before = readFileSync(shared, "utf8");
    writeFileSync(shared, `${before}# edited\n`);
    try {
      const r = await dt(["ci", "matrix", "--changed", "--base", "HEAD"], { cwd: root, env });
      expect(r.code).toBe(0);
      const matrix = JSON.parse(r.stdout);
      // The images are stale: the jobs build them (stage local) instead of pulling dev.
      expect(matrix.include.map((e: any) => [e.dir, e.stage])).toEqual(DIRS.map((d) => [d, "local"]));
      for (const dir of DIRS) {
        expect(r.stderr).toContain(`  ${dir}: devops/docker_build/dev.Dockerfile -> helpers_root/devops/docker_build/dev.Dockerfile changed`);
      }
      const t = await dtJson(["test", "--changed", "--base", "HEAD", "--json"], { cwd: root, env });
      expect(t.json.dirs.map((d: any) => d.dir)).toEqual(DIRS);
    } finally {
      writeFileSync(shared, before);
    }
  });

  test("a link out of the workspace is refused (exit 2, naming the link) before the engine gets anything", async () => {
    const link = join(root, "apps/gamma/devops/docker_build/install_shared.sh");
    rmSync(link);
    symlinkSync("/etc/hostname", link);
    // A stand-in engine that records every request: the refusal must come before any of them.
    const requests: string[] = [];
    const socket = join(testdir().path, "engine.sock");
    const server = Bun.serve({ unix: socket, fetch: (req) => (requests.push(`${req.method} ${new URL(req.url).pathname}`), new Response("{}", { status: 500 })) });
    try {
      const r = await dt(["docker", "build", "--dir", "apps/gamma", "--no-cache"], { cwd: root, env: { ...env, DOCKER_HOST: `unix://${socket}` } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("apps/gamma/devops/docker_build/install_shared.sh -> /etc/hostname resolves to /etc/hostname, outside the workspace");
      expect(requests).toEqual([]);
    } finally {
      server.stop(true);
      rmSync(link);
      symlinkSync("../../../../helpers_root/devops/docker_build/install_shared.sh", link);
    }
  });

  test("build --all with one failing dir builds the others, prints the table and exits 1", async () => {
    writeFileSync(join(root, "apps/beta/dt.yaml"), `image: ${imageOf("apps/beta")}\ndocker:\n  build_args:\n    POETRY_MODE: ""\n`);
    // A new file in alpha's context: alpha must build again, not be skipped.
    writeFileSync(join(root, "apps/alpha/devops/docker_build/notes.txt"), "alpha changed\n");
    try {
      const r = await dt(["docker", "build", "--all", "-j", "2"], { cwd: root, env, timeoutMs: 600_000 });
      expect(r.code).toBe(1);
      const rows = r.stdout.split("\n").filter((l) => l.startsWith("apps/"));
      const results = rows.map((l) => l.split(/\s+/).slice(0, 2));
      expect(results.slice(0, 2)).toEqual([
        ["apps/alpha", "built"],
        ["apps/beta", "failed"],
      ]);
      // gamma is built or up to date, depending on what earlier tests did to its files.
      expect(["built", "skipped"]).toContain(results[2]?.[1] ?? "");
      expect(rows[1]).toMatch(/failed at Step \d+\/\d+ : RUN sh .*install_shared.sh/);
      // The script's own words reach the user with the failure.
      expect(r.stderr).toContain("POETRY_MODE is not set");
      expect(r.stdout).toContain("2 of 3 built or up to date, 1 failed");
      expect(r.stderr).toMatch(/✗ apps\/beta failed after [\d.]+s: building .* failed at Step \d+\/\d+ : RUN sh \/opt\/dt\/project\/devops\/docker_build\/install_shared.sh/);
    } finally {
      writeFileSync(join(root, "apps/beta/dt.yaml"), `image: ${imageOf("apps/beta")}\n`);
      rmSync(join(root, "apps/alpha/devops/docker_build/notes.txt"));
    }
  }, 600_000);

  test("a base image on a host that does not resolve fails with a hint about the base image and its registry (exit 3)", async () => {
    writeFileSync(join(root, "apps/gamma/dt.yaml"), `image: ${imageOf("apps/gamma")}\nbase_image: registry.invalid/none/python:3\n`);
    try {
      const r = await dt(["docker", "build", "--dir", "apps/gamma"], { cwd: root, env, timeoutMs: 120_000 });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("the engine could not reach a registry");
      expect(r.stderr).toContain("registry.invalid");
      expect(r.stderr).toContain("fix: check the FROM image (base_image in dt.yaml");
      expect(r.stderr).not.toContain("dt init writes the templates");
    } finally {
      writeFileSync(join(root, "apps/gamma/dt.yaml"), `image: ${imageOf("apps/gamma")}\n`);
    }
  });
});

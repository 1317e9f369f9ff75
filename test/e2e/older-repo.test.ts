// A super-repo of the older invoke-based toolchain, as it is: repo_config.py at its root, a
// helpers sub-repo with repo_config.yaml, tools in dev_scripts_<repo>/ subdirs, devops linked
// into the sub-repo, no dt.yaml; cloned into a dir whose name is not the repo's. dt reads it
// with no edit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dt, dtArgv, dtJson } from "../support/dt.ts";
import { localTag } from "../support/tags.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";

afterAll(cleanupAll);

let root = "";
let tmp = "";
let bin = "";

const REPO_CONFIG_PY = [
  '"""The older toolchain\'s settings of this repo (read by dt as text, never run)."""',
  "import os",
  "",
  '_REPO_NAME = "orders"',
  '_GITHUB_REPO_ACCOUNT = "acme"',
  '_DOCKER_IMAGE_NAME = "orders-img"',
  "",
  "def get_repo_short_name():",
  "    return _REPO_NAME",
  "",
].join("\n");

beforeAll(() => {
  tmp = testdir().path;
  const helpers = makeRepo(join(tmp, "upstream", "helpers"), {
    "repo_config.yaml": "repo_info:\n  repo_name: helpers\ndocker_info:\n  docker_image_name: helpers-img\ncontainer_registry_info:\n  ecr: 123456789.dkr.ecr.eu-north-1.amazonaws.com/acme\n",
    "devops/docker_build/dev.Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
    "changelog.txt": "# helpers-1.0.0\n- 2026-11-20\n- First\n",
    "dev_scripts_helpers/git/hgit-tool": "#!/bin/sh\necho hgit-tool ran\n",
  });
  chmodSync(join(helpers, "dev_scripts_helpers/git/hgit-tool"), 0o755);
  git(helpers, ["add", "-A"]);
  git(helpers, ["commit", "-q", "-m", "exec bit"]);
  const upstream = makeRepo(join(tmp, "upstream", "orders"), {
    "repo_config.py": REPO_CONFIG_PY,
    "dev_scripts_orders/release/orders-tool": "#!/bin/sh\necho orders-tool ran\n",
    "apps/pricer/changelog.txt": "# pricer-1.2.0\n- 2026-11-20\n- Third\n\n# pricer-1.1.0\n- 2026-10-20\n- Second\n\n# pricer-1.0.0\n- 2026-09-20\n- First\n",
    "apps/pricer/pytest.ini": "[pytest]\n",
    "apps/pricer/devops/docker_build/.keep": "",
    "apps/pricer/pricer.py": "X = 1\n",
  });
  chmodSync(join(upstream, "dev_scripts_orders/release/orders-tool"), 0o755);
  addSubmodule(upstream, helpers, "helpers_root");
  symlinkSync("../../../../helpers_root/devops/docker_build/dev.Dockerfile", join(upstream, "apps/pricer/devops/docker_build/dev.Dockerfile"));
  git(upstream, ["add", "-A"]);
  git(upstream, ["commit", "-q", "-m", "Link the shared Dockerfile"]);
  // A second clone, as people keep them: its dir is not named after the repo.
  root = join(tmp, "orders2");
  git(tmp, ["clone", "-q", "--recurse-submodules", upstream, root]);
  bin = join(tmp, "bin");
  mkdirSync(bin);
  symlinkSync(dtArgv()[0]!, join(bin, "dt"));
});

describe("the older config files", () => {
  test("dt config names what they say, each with its file:line", async () => {
    const { result, json } = await dtJson(["config", "--json"], { cwd: root });
    expect(result.code).toBe(0);
    const row = (key: string) => json.values.find((v: any) => v.key === key);
    expect(row("name")).toEqual({ key: "name", value: "orders", source: "repo_config.py:4" });
    expect(row("image")).toEqual({ key: "image", value: "orders-img", source: "repo_config.py:6" });
    expect(json.files).toEqual(["repo_config.py"]);

    // The sub-repo's own file names the sub-repo's runnable dir.
    const sub = await dtJson(["config", "--json", "--dir", "helpers_root"], { cwd: root });
    const sRow = (key: string) => sub.json.values.find((v: any) => v.key === key);
    expect(sRow("name")).toEqual({ key: "name", value: "helpers", source: "helpers_root/repo_config.yaml:2" });
    expect(sRow("image")).toEqual({ key: "image", value: "helpers-img", source: "helpers_root/repo_config.yaml:4" });
    const pricer = await dtJson(["config", "--json"], { cwd: join(root, "apps/pricer") });
    const pRow = (key: string) => pricer.json.values.find((v: any) => v.key === key);
    expect(pRow("name")).toEqual({ key: "name", value: "orders", source: "repo_config.py:4" });
    expect(pRow("image")).toEqual({ key: "image", value: "pricer", source: "default (dir name)" });
  });

  test("dt init writes the names it reads: the root dt.yaml gets the repo's name, not the clone dir's", async () => {
    const fresh = join(tmp, "orders3");
    git(tmp, ["clone", "-q", "--recurse-submodules", root, fresh]);
    const dir = join(fresh, "apps", "reporter");
    mkdirSync(dir, { recursive: true });
    const r = await dt(["init"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(fresh, "dt.yaml"), "utf8")).toContain("name: orders\n");
    expect(readFileSync(join(dir, "changelog.txt"), "utf8")).toStartWith("# reporter-0.1.0\n");
  });
});

type Shell = "bash" | "zsh" | "fish";
const run: Record<Shell, (script: string) => string[]> = {
  bash: (s) => ["bash", "--norc", "--noprofile", "-c", s],
  zsh: (s) => ["zsh", "-f", "-c", s],
  fish: (s) => ["fish", "--no-config", "-c", s],
};
const load: Record<Shell, string> = { bash: 'eval "$(dt setenv)"', zsh: 'eval "$(dt setenv)"', fish: "dt setenv --shell fish | source" };
const show: Record<Shell, string> = { bash: 'printf "%s\\n" "$PYTHONPATH"', zsh: 'printf "%s\\n" "$PYTHONPATH"', fish: "string join : $PYTHONPATH" };

describe("dev_scripts on PATH in every shell", () => {
  for (const shell of ["bash", "zsh", "fish"] as const) {
    test(`${shell}: tools in dev_scripts_<repo>/ subdirs run by name, in the repo and its sub-repo; the target dir leads PYTHONPATH`, () => {
      const home = join(tmp, `home-${shell}`);
      mkdirSync(home, { recursive: true });
      const r = Bun.spawnSync(run[shell](`${load[shell]}; orders-tool; hgit-tool; ${show[shell]}`), {
        cwd: join(root, "apps/pricer"),
        env: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: home, USER: "tester", LANG: "C.UTF-8" },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(r.stderr.toString()).toBe("");
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines.slice(0, 2)).toEqual(["orders-tool ran", "hgit-tool ran"]);
      expect(lines[2]!.split(":")[0]).toBe(join(root, "apps/pricer"));
    });
  }

  test("the setenv cache follows an edit of an older config file, in a sub-repo too", async () => {
    const env = { XDG_CACHE_HOME: join(tmp, "cache-edit"), USER: "tester" };
    const image = async () => (await dt(["setenv", "--shell", "bash"], { cwd: join(root, "helpers_root"), env })).stdout.match(/export DT_IMAGE=(\S+)/)?.[1];
    expect(await image()).toBe(`'helpers-img:${localTag(root, "tester")}'`);
    const file = join(root, "helpers_root/repo_config.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace("docker_image_name: helpers-img", "docker_image_name: helpers-renamed"));
    try {
      expect(await image()).toBe(`'helpers-renamed:${localTag(root, "tester")}'`);
    } finally {
      writeFileSync(file, before);
    }
  });
});

describe("dt doctor says only what it checked", () => {
  test("no dt.yaml check without a dt.yaml; the older config and what it maps to; a Dockerfile link that does not resolve, with its chain", async () => {
    const link = join(root, "apps/pricer/devops/docker_build/dev.Dockerfile");
    rmSync(link);
    symlinkSync("../../../../helpers_root/devops/docker_build/missing.Dockerfile", link);
    try {
      const { json } = await dtJson(["doctor", "--json"], { cwd: root });
      const names = json.checks.map((c: any) => c.name);
      expect(names).not.toContain("dt.yaml");
      const older = json.checks.find((c: any) => c.name === "older config repo_config.py");
      expect(older.detail).toBe("read as name = orders (line 4), image = orders-img (line 6)");
      const subOlder = json.checks.find((c: any) => c.name === "older config helpers_root/repo_config.yaml");
      expect(subOlder.detail).toContain("registries.ecr = 123456789.dkr.ecr.eu-north-1.amazonaws.com/acme (line 6)");
      const dockerfile = json.checks.find((c: any) => c.name === "Dockerfile apps/pricer/devops/docker_build/dev.Dockerfile");
      expect(dockerfile.status).toBe("fail");
      expect(dockerfile.detail).toBe(
        "does not resolve: apps/pricer/devops/docker_build/dev.Dockerfile -> ../../../../helpers_root/devops/docker_build/missing.Dockerfile (missing)",
      );
      const runnable = json.checks.find((c: any) => c.name === "runnable apps/pricer");
      expect(runnable.detail).toBe("apps/pricer/changelog.txt valid, version 1.2.0");
    } finally {
      rmSync(link);
      symlinkSync("../../../../helpers_root/devops/docker_build/dev.Dockerfile", link);
    }
  });

  test("a setenv path that exists nowhere is named; a dt.yaml, when there is one, is checked", async () => {
    writeFileSync(join(root, "dt.yaml"), "setenv:\n  path: ['dev_scripts*/**', dev_scriptz]\n");
    try {
      const { json } = await dtJson(["doctor", "--json"], { cwd: root });
      expect(json.checks.find((c: any) => c.name === "dt.yaml")).toEqual({ name: "dt.yaml", status: "ok", detail: "valid" });
      const setenv = json.checks.filter((c: any) => c.name === "setenv.path");
      expect(setenv.map((c: any) => [c.status, c.detail])).toEqual([["warn", "dev_scriptz (dt.yaml:2) matches no directory in the workspace or its sub-repos"]]);
    } finally {
      rmSync(join(root, "dt.yaml"));
    }
  });
});

describe("dt sync in link mode, on the links the repo already has", () => {
  test("--check passes on the right links, and after one is removed fails listing what dt sync would do", async () => {
    writeFileSync(
      join(root, "dt.yaml"),
      "sync:\n  from: helpers_root\n  files:\n    - {from: devops/docker_build/dev.Dockerfile, to: ['apps/*/devops/docker_build/dev.Dockerfile'], mode: link}\n",
    );
    const link = join(root, "apps/pricer/devops/docker_build/dev.Dockerfile");
    try {
      const ok = await dt(["sync", "--check"], { cwd: root });
      expect(ok.stderr + ok.stdout).not.toContain("would link");
      expect(ok.code).toBe(0);
      rmSync(link);
      const bad = await dt(["sync", "--check"], { cwd: root });
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toContain("would link apps/pricer/devops/docker_build/dev.Dockerfile -> ../../../../helpers_root/devops/docker_build/dev.Dockerfile");
      expect((await dt(["sync"], { cwd: root })).code).toBe(0);
      expect((await dt(["sync", "--check"], { cwd: root })).code).toBe(0);
    } finally {
      rmSync(join(root, "dt.yaml"), { force: true });
      rmSync(join(root, ".dt"), { recursive: true, force: true });
      rmSync(link, { force: true });
      symlinkSync("../../../../helpers_root/devops/docker_build/dev.Dockerfile", link);
    }
  });
});

describe("base_image where the Dockerfile ignores it", () => {
  test("dt config and dt doctor say it has no effect there", async () => {
    const link = join(root, "apps/pricer/devops/docker_build/dev.Dockerfile");
    rmSync(link);
    writeFileSync(link, "FROM debian:bookworm\n");
    try {
      const { json } = await dtJson(["config", "--json"], { cwd: join(root, "apps/pricer") });
      expect(json.baseImageIgnoredBy).toBe("apps/pricer/devops/docker_build/dev.Dockerfile");
      expect(json.values.find((v: any) => v.key === "base_image").source).toBe("default; no effect: apps/pricer/devops/docker_build/dev.Dockerfile does not use BASE_IMAGE");
      const doctor = await dtJson(["doctor", "--json"], { cwd: root });
      const check = doctor.json.checks.find((c: any) => c.name === "base_image apps/pricer");
      expect([check.status, check.detail]).toEqual(["warn", "no effect: apps/pricer/devops/docker_build/dev.Dockerfile does not use BASE_IMAGE"]);
      // helpers_root's Dockerfile uses it: nothing to say there.
      expect(doctor.json.checks.find((c: any) => c.name === "base_image helpers_root")).toBeUndefined();
    } finally {
      rmSync(link);
      symlinkSync("../../../../helpers_root/devops/docker_build/dev.Dockerfile", link);
    }
  });
});

describe("dt init --force keeps history", () => {
  test("a changelog of three entries and a pytest.ini stay byte for byte; dt's templates are rewritten", async () => {
    const dir = join(root, "apps/pricer");
    const changelog = readFileSync(join(dir, "changelog.txt"), "utf8");
    const r = await dt(["init", "--force"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "changelog.txt"), "utf8")).toBe(changelog);
    expect(readFileSync(join(dir, "pytest.ini"), "utf8")).toBe("[pytest]\n");
    expect(r.stdout).toContain("kept  apps/pricer/changelog.txt (yours: dt init never replaces it, even with --force)");
    expect(r.stdout).toContain("wrote apps/pricer/devops/docker_build/install.sh");
    // The link into the sub-repo is the repo's own choice, not a template to replace.
    expect(r.stdout).toContain("kept  apps/pricer/devops/docker_build/dev.Dockerfile (yours");
    expect(readFileSync(join(dir, "devops/docker_build/dev.Dockerfile"), "utf8")).toBe("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
    git(root, ["checkout", "-q", "--", "."]);
    git(root, ["clean", "-q", "-fd", "--", "apps", "dt.yaml"]);
  });
});

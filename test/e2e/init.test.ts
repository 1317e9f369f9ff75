// dt init and dt init --example, from the compiled binary alone.
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtArgv, dtJson } from "../support/dt.ts";

afterAll(cleanupAll);

const TEMPLATE_FILES = [
  "changelog.txt",
  "pytest.ini",
  "devops/docker_build/dev.Dockerfile",
  "devops/docker_build/prod.Dockerfile",
  "devops/docker_build/install.sh",
  "devops/docker_build/os_packages.txt",
  "devops/docker_build/dockerignore.dev",
  "devops/docker_build/dockerignore.prod",
  "devops/docker_run/entrypoint.sh",
];

describe("dt init", () => {
  test("a binary copied alone into an empty dir writes every template", async () => {
    const lonely = testdir().path;
    const bin = join(lonely, "dt");
    copyFileSync(dtArgv()[0]!, bin);
    Bun.spawnSync(["chmod", "755", bin]);
    const ws = makeRepo(join(testdir().path, "acme"), { "README.md": "x\n" });
    const r = Bun.spawnSync([bin, "init", "--base-image", "debian:12"], { cwd: ws, env: { ...process.env, NO_COLOR: "1" } });
    expect(r.exitCode).toBe(0);
    for (const f of [...TEMPLATE_FILES, "dt.yaml"]) expect(existsSync(join(ws, f))).toBe(true);
    expect(readFileSync(join(ws, "changelog.txt"), "utf8")).toMatch(/^# acme-0\.1\.0\n- \d{4}-\d{2}-\d{2}\n/);
    expect(readFileSync(join(ws, "dt.yaml"), "utf8")).toContain("base_image: debian:12");
    expect(readFileSync(join(ws, "devops/docker_build/dev.Dockerfile"), "utf8")).toContain("FROM ${BASE_IMAGE}");
    expect(statSync(join(ws, "devops/docker_run/entrypoint.sh")).mode & 0o111).toBeTruthy();
    expect(r.stdout.toString()).toContain("wrote devops/docker_build/dev.Dockerfile");
  });

  test("never overwrites without --force; --force replaces templates but never the changelog; says what it kept", async () => {
    const ws = makeRepo(join(testdir().path, "svc"), { "README.md": "x\n" });
    await dt(["init"], { cwd: ws });
    writeFileSync(join(ws, "changelog.txt"), "# svc-2.0.0\n- 2026-01-01\n- mine\n");
    const again = await dt(["init"], { cwd: ws });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("kept  changelog.txt");
    expect(readFileSync(join(ws, "changelog.txt"), "utf8")).toContain("svc-2.0.0");
    // --force replaces dt's templates, never the history: the changelog stays byte for byte.
    writeFileSync(join(ws, "devops/docker_build/dev.Dockerfile"), "FROM edited\n");
    const mine = "# svc-2.0.0\n- 2026-01-01\n- mine\n\n# svc-1.1.0\n- 2025-12-01\n- older\n\n# svc-1.0.0\n- 2025-11-01\n- first\n";
    writeFileSync(join(ws, "changelog.txt"), mine);
    const forced = await dt(["init", "--force"], { cwd: ws });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("wrote devops/docker_build/dev.Dockerfile");
    expect(forced.stdout).toContain("kept  changelog.txt (yours: dt init never replaces it, even with --force)");
    expect(forced.stdout).toContain("kept  pytest.ini (yours");
    expect(readFileSync(join(ws, "changelog.txt"), "utf8")).toBe(mine);
    expect(readFileSync(join(ws, "devops/docker_build/dev.Dockerfile"), "utf8")).not.toBe("FROM edited\n");
  });

  test("in a sub dir: the dir becomes runnable and dt.yaml goes to the root", async () => {
    const ws = makeRepo(join(testdir().path, "mono"), { "README.md": "x\n" });
    const sub = join(ws, "apps", "api");
    require("node:fs").mkdirSync(sub, { recursive: true });
    const r = await dt(["init", "--image", "api-server"], { cwd: sub });
    expect(r.code).toBe(0);
    expect(existsSync(join(ws, "dt.yaml"))).toBe(true);
    expect(readFileSync(join(sub, "dt.yaml"), "utf8")).toBe("image: api-server\n");
    const { json } = await dtJson(["ls", "--json"], { cwd: ws });
    expect(json.runnableDirs).toEqual([
      { path: "apps/api", image: "api-server", registry: null, version: "0.1.0", problem: null, problems: [], warnings: [], repo: ".", stages: { local: false, dev: false, prod: false } },
    ]);
  });
});

describe("dt init --example", () => {
  test("writes a super-repo with a real sub-repo, three runnable dirs and fast and slow tests", async () => {
    const dir = join(testdir().path, "demo");
    const r = await dt(["init", "--example", dir, "--base-image", "dt-test/pybase:latest"], { cwd: testdir().path });
    expect(r.code).toBe(0);
    const { json } = await dtJson(["ls", "--json"], { cwd: join(dir, "apps", "pricer") });
    expect(json.root).toBe(dir);
    expect(json.subRepos.map((s: any) => [s.path, s.initialised, s.dirty])).toEqual([["helpers_root", true, false]]);
    expect(json.runnableDirs.map((d: any) => d.path)).toEqual(["apps/pricer", "apps/reporter", "helpers_root"]);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    expect(git(dir, ["submodule", "status"])).toMatch(/^[0-9a-f]{40} helpers_root/);
    const tests = readFileSync(join(dir, "apps/pricer/tests/test_pricer.py"), "utf8");
    expect(tests).toContain("@pytest.mark.slow");
    expect(readFileSync(join(dir, "dt.yaml"), "utf8")).toContain("base_image: dt-test/pybase:latest");
    const doctor = await dt(["doctor", "--json"], { cwd: dir });
    const checks = JSON.parse(doctor.stdout).checks;
    expect(checks.filter((c: any) => c.status === "fail" && c.name !== "engine")).toEqual([]);
  });

  test("refuses a non-empty dir and leaves it as it was", async () => {
    const dir = testdir({ "keep.txt": "mine\n" }).path;
    const r = await dt(["init", "--example", dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not empty");
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("mine\n");
  });
});

describe("dt completion", () => {
  test("bash: the script completes commands and flags in a real bash", async () => {
    const binDir = testdir().path;
    const bin = join(binDir, "dt");
    copyFileSync(dtArgv()[0]!, bin);
    Bun.spawnSync(["chmod", "755", bin]);
    const script = [
      'source <(dt completion bash)',
      'COMP_WORDS=(dt ver); COMP_CWORD=1; _dt_complete; echo "1:${COMPREPLY[*]}"',
      'COMP_WORDS=(dt version b); COMP_CWORD=2; _dt_complete; echo "2:${COMPREPLY[*]}"',
      'COMP_WORDS=(dt ls --j); COMP_CWORD=2; _dt_complete; echo "3:${COMPREPLY[*]}"',
    ].join("\n");
    const r = Bun.spawnSync(["bash", "-c", script], { env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` } });
    const out = r.stdout.toString();
    expect(out).toContain("1:version");
    expect(out).toContain("2:bump");
    expect(out).toContain("3:--json");
  });

  test("dt run <TAB> lists the example's tasks in bash, zsh and fish; --dir its runnable dirs", async () => {
    const binDir = testdir().path;
    copyFileSync(dtArgv()[0]!, join(binDir, "dt"));
    Bun.spawnSync(["chmod", "755", join(binDir, "dt")]);
    const example = join(testdir().path, "example");
    expect((await dt(["init", "--example", example], { cwd: testdir().path })).code).toBe(0);
    const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, HOME: testdir().path };
    const run = (argv: string[]) => {
      const r = Bun.spawnSync(argv, { cwd: join(example, "apps", "pricer"), env });
      expect(r.stderr.toString()).toBe("");
      return r.stdout.toString().split("\n").filter(Boolean);
    };
    const tasks = ["hello", "fast", "all-tests"];
    const bash = run(["bash", "--norc", "-c", 'source <(dt completion bash); COMP_WORDS=(dt run ""); COMP_CWORD=2; _dt_complete; printf "%s\\n" "${COMPREPLY[@]}"']);
    expect(bash.slice(0, 3)).toEqual(tasks);
    expect(bash).toContain("--list");
    const filtered = run(["bash", "--norc", "-c", 'source <(dt completion bash); COMP_WORDS=(dt run al); COMP_CWORD=2; _dt_complete; printf "%s\\n" "${COMPREPLY[@]}"']);
    expect(filtered).toEqual(["all-tests"]);
    // zsh: the script's own logic, with compadd standing in for the completion system.
    const zsh = run(["zsh", "-f", "-c", 'source <(dt completion zsh); compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; words=(dt run ""); CURRENT=3; _dt']);
    expect(zsh.slice(0, 3)).toEqual(tasks);
    const fish = run(["fish", "--no-config", "-c", 'dt completion fish | source; complete -C "dt run "']);
    expect(fish.filter((w) => !w.startsWith("-"))).toEqual(["all-tests", "fast", "hello"]);
    const dirs = run(["bash", "--norc", "-c", 'source <(dt completion bash); COMP_WORDS=(dt test --dir ""); COMP_CWORD=3; _dt_complete; printf "%s\\n" "${COMPREPLY[@]}"']);
    expect(dirs).toEqual([".", "../reporter", "../../helpers_root"]);
  });

  test("fish: loading setenv twice registers dt's completion once", () => {
    const binDir = testdir().path;
    copyFileSync(dtArgv()[0]!, join(binDir, "dt"));
    Bun.spawnSync(["chmod", "755", join(binDir, "dt")]);
    const ws = makeRepo(join(testdir().path, "ws"), { "README.md": "x\n" });
    const r = Bun.spawnSync(["fish", "--no-config", "-c", "dt setenv --shell fish | source; dt setenv --shell fish | source; complete -c dt"], {
      cwd: ws,
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, HOME: testdir().path },
    });
    expect(r.stdout.toString().trim().split("\n")).toEqual(["complete --no-files dt -a '(__dt_complete)'"]);
  });

  test("an unknown shell is exit 2", async () => {
    const r = await dt(["completion", "tcsh"], { cwd: testdir().path });
    expect(r.code).toBe(2);
  });
});

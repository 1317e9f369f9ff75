// The command shell end to end: the compiled binary against real git workspaces.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, git, makeRepo, makeWorkspace, testdir } from "../support/fixtures.ts";
import { dt, dtArgv, dtJson } from "../support/dt.ts";

afterAll(cleanupAll);

const pkg = (await Bun.file(join(import.meta.dir, "../../package.json")).json()) as { version: string };

describe("the shell", () => {
  const cwd = testdir().path;

  test("--version prints the package version", async () => {
    const r = await dt(["--version"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test("--help lists every command and the exit codes", async () => {
    const r = await dt(["--help"], { cwd });
    expect(r.code).toBe(0);
    for (const name of ["init", "ls", "config", "doctor", "version", "completion"]) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toContain("2 usage or input error");
    expect(r.stdout).not.toContain("\x1b[");
  });

  test("COMMAND --help shows the command's options", async () => {
    const r = await dt(["ls", "--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("dt ls");
    expect(r.stdout).toContain("--json");
    const bump = await dt(["version", "bump", "--help"], { cwd });
    expect(bump.stdout).toContain("dt version bump");
    expect(bump.stdout).toContain("--message");
  });

  test("an unknown command is exit 2 with a did-you-mean", async () => {
    const r = await dt(["lss"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'lss'");
    expect(r.stderr).toContain("Did you mean 'ls'?");
    expect(r.stdout).toBe("");
  });

  test("an unknown flag is exit 2 with a did-you-mean, not ignored", async () => {
    const r = await dt(["ls", "--jsno"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--jsno'");
    expect(r.stderr).toContain("--json");
  });

  test("errors are one or two lines, no stack trace unless --verbose", async () => {
    const r = await dt(["ls"], { cwd });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toContain("not inside a git repository");
    expect(lines[1]).toContain("fix:");
    const verbose = await dt(["ls", "--verbose"], { cwd });
    expect(verbose.stderr).toMatch(/at .*\(|DtError/);
  });

  test("colour only when asked for", async () => {
    const r = await dt(["lss", "--color"], { cwd, env: { NO_COLOR: undefined } });
    expect(r.stderr).toContain("\x1b[31m");
    const plain = await dt(["lss", "--no-color"], { cwd, env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(plain.stderr).not.toContain("\x1b[");
  });
});

describe("dt ls", () => {
  const ws = makeWorkspace({ runnables: 2, depth: 3, uninitialized: true });

  test("--json from inside a three-level nested sub-repo reports the outermost root, every sub-repo and runnable dir", async () => {
    const deepest = ws.subRepos.at(-1)!;
    expect(deepest.depth).toBe(3);
    const { result, json } = await dtJson(["ls", "--json"], { cwd: join(deepest.path, "src") });
    expect(result.code).toBe(0);
    expect(json.root).toBe(ws.root);
    const paths = json.subRepos.map((s: any) => s.path).sort();
    expect(paths).toEqual([...ws.subRepos.map((s) => s.rel), ws.uninitialized!.rel].sort());
    for (const s of ws.subRepos) {
      const found = json.subRepos.find((x: any) => x.path === s.rel);
      expect(found.initialised).toBe(true);
      expect(found.url).toBe(s.url);
      expect(found.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(found.dirty).toBe(false);
    }
    const optional = json.subRepos.find((x: any) => x.path === ws.uninitialized!.rel);
    expect(optional.initialised).toBe(false);
    expect(json.runnableDirs.map((d: any) => d.path).sort()).toEqual(ws.runnables.map((r) => r.rel).sort());
    for (const d of json.runnableDirs) expect(d.version).toBe("0.1.0");
  });

  test("a change inside a sub-repo makes it dirty; the table shows it", async () => {
    const shared = ws.subRepos[0]!;
    writeFileSync(join(shared.path, "README.md"), "# changed\n");
    try {
      const { json } = await dtJson(["ls", "--json"], { cwd: ws.root });
      expect(json.subRepos.find((s: any) => s.path === shared.rel).dirty).toBe(true);
      expect(json.subRepos.find((s: any) => s.path === ws.subRepos[1]!.rel).dirty).toBe(false);
      const table = await dt(["ls"], { cwd: ws.root });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`${shared.rel}\\s+[0-9a-f]{10}.*dirty`));
      expect(table.stdout).toContain("not initialised");
    } finally {
      // The other tests of this block expect every sub-repo clean.
      git(shared.path, ["checkout", "--", "README.md"]);
    }
  });

  test("a reader that goes away (dt ls | true) ends dt quietly with 141, as SIGPIPE would", async () => {
    const quoted = dtArgv().map((a) => `'${a}'`).join(" ");
    const r = Bun.spawnSync(["bash", "-c", `${quoted} ls --json | true; echo "status=\${PIPESTATUS[0]}"`], { cwd: ws.root, env: { ...process.env, NO_COLOR: "1" } });
    expect(r.stdout.toString()).toContain("status=141");
    expect(r.stderr.toString()).toBe("");
  });

  test("with the engine unreachable, dt ls still lists the workspace and says the stages are unknown", async () => {
    const env = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const { result, json } = await dtJson(["ls", "--json"], { cwd: ws.root, env });
    expect(result.code).toBe(0);
    expect(json.runnableDirs.length).toBeGreaterThan(0);
    expect(json.runnableDirs.every((d: any) => d.stages === null)).toBe(true);
    expect(json.engineProblem).toContain("not reachable");
    const table = await dt(["ls"], { cwd: ws.root, env });
    expect(table.code).toBe(0);
    expect(table.stderr).toContain("stages built locally are unknown");
  });

  test("a typo in dt.yaml: exit 2, the problem in the table and told once, the rest still listed", async () => {
    const root = makeRepo(join(testdir().path, "typo"), {
      "dt.yaml": "name: typo\nbase_imag: python:3.12-slim\n",
      "api/changelog.txt": "# api-0.1.0\n- 2026-11-20\n- First\n",
      "api/devops/.keep": "",
      "web/changelog.txt": "# web-0.3.0\n- 2026-11-20\n- First\n",
      "web/devops/.keep": "",
      "web/dt.yaml": "image: web-ui\n",
    });
    const r = await dt(["ls"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/RUNNABLE DIR\s+IMAGE\s+VERSION\s+BUILT\s+PROBLEM/);
    // No image name is guessed from an invalid config, so no stage is claimed for it.
    expect(r.stdout).toMatch(/^api\s+\?\s+0\.1\.0\s+\?\s+dt\.yaml:2:1$/m);
    expect(r.stdout).toMatch(/^web\s+\?\s+0\.3\.0\s+\?\s+dt\.yaml:2:1$/m);
    expect(r.stderr).toBe(
      "error: dt.yaml:2:1: unknown key 'base_imag'. Did you mean 'base_image'? (api, web)\n" +
        "  fix: known keys: name, image, registry, registries, platforms, builders, base_image, version_policy, docker, test, setenv, sync, tasks\n",
    );
    const { result, json } = await dtJson(["ls", "--json"], { cwd: root });
    expect(result.code).toBe(2);
    expect(json.ok).toBe(false);
    expect(json.runnableDirs.map((d: any) => [d.path, d.image, d.version, d.stages])).toEqual([["api", null, "0.1.0", null], ["web", null, "0.3.0", null]]);
    expect(json.runnableDirs[0].problems).toEqual([{ kind: "config", where: "dt.yaml:2:1", message: "unknown key 'base_imag'. Did you mean 'base_image'?", hint: expect.stringContaining("known keys") }]);
  });

  test("a changelog heading named other than the image is a warning, not an error", async () => {
    const root = makeRepo(join(testdir().path, "named"), {
      "api/changelog.txt": "# cmamp-0.1.0\n- 2026-11-20\n- First\n",
      "api/devops/.keep": "",
    });
    const r = await dt(["ls"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: api/changelog.txt:1: the heading names 'cmamp', the image is 'api'; name the next entry '# api-X.Y.Z'");
    const doctor = await dtJson(["doctor", "--json"], { cwd: root });
    expect(doctor.json.checks.find((c: any) => c.name === "changelog name api")).toMatchObject({ status: "warn", detail: "api/changelog.txt:1: the heading names 'cmamp', the image is 'api'" });
  });

  test("--quiet keeps warnings and drops talk; --verbose adds debug lines", async () => {
    const env = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const quiet = await dt(["ls", "--quiet"], { cwd: ws.root, env });
    expect(quiet.stderr).toContain("warning: stages built locally are unknown");
    const bare = makeRepo(join(testdir().path, "bare"), { "README.md": "x\n" });
    expect((await dt(["sync", "--check"], { cwd: bare })).stderr).toBe("nothing to sync: dt.yaml lists no sync.files\n");
    expect((await dt(["sync", "--check", "--quiet"], { cwd: bare })).stderr).toBe("");
    const verbose = await dt(["setenv", "--verbose"], { cwd: testdir().path });
    expect(verbose.stderr).toContain("is not inside a git workspace; only completion is set");
    expect((await dt(["setenv"], { cwd: testdir().path })).stderr).toBe("");
  });

  test("an untracked new runnable dir is found; a git-ignored one is not", async () => {
    const fresh = makeWorkspace({ runnables: 0, depth: 0, uninitialized: false });
    const files: Record<string, string> = {
      "new/app/changelog.txt": "# app-0.1.0\n- 2026-11-20\n- x\n",
      "ignored/app/changelog.txt": "# app-0.1.0\n- 2026-11-20\n- x\n",
      ".gitignore": "ignored/\n",
      "notrunnable/changelog.txt": "# x-0.1.0\n- 2026-11-20\n",
    };
    for (const [p, t] of Object.entries(files)) {
      await Bun.write(join(fresh.root, p), t);
    }
    for (const d of ["new/app/devops", "ignored/app/devops"]) await Bun.write(join(fresh.root, d, ".keep"), "");
    const { json } = await dtJson(["ls", "--json"], { cwd: fresh.root });
    expect(json.runnableDirs.map((d: any) => d.path)).toEqual([".", "new/app"]);
  });
});

describe("dt config", () => {
  test("a typo in a key, a wrong type and invalid YAML are exit 2 with file:line:col", async () => {
    const ws = makeWorkspace({ runnables: 1, depth: 0, uninitialized: false });
    const cases: [string, RegExp][] = [
      ["name: demo\nimgae: x\n", /dt\.yaml:2:1: unknown key 'imgae'\. Did you mean 'image'\?/],
      ["docker:\n  sibling: maybe\n", /dt\.yaml:2:12: docker\.sibling: expected true or false, got "maybe"/],
      ["name: demo\ndocker: [\n", /dt\.yaml:\d+:\d+: invalid YAML/],
    ];
    for (const [text, expected] of cases) {
      writeFileSync(join(ws.root, "dt.yaml"), text);
      const r = await dt(["config"], { cwd: ws.root });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
      expect(r.stdout).toBe("");
    }
  });

  test("--json gives each value with its source; a runnable dir's dt.yaml overrides the root", async () => {
    const ws = makeWorkspace({ runnables: 1, depth: 0, uninitialized: false });
    writeFileSync(join(ws.root, "dt.yaml"), "name: acme\nregistry: reg.example/acme\ndocker:\n  mount: /app\n");
    writeFileSync(join(ws.root, "services/svc-1/dt.yaml"), "docker:\n  sibling: true\n");
    const { result, json } = await dtJson(["config", "--json", "--dir", "services/svc-1"], { cwd: ws.root, env: { DT_REGISTRY: undefined } });
    expect(result.code).toBe(0);
    const row = (key: string) => json.values.find((v: any) => v.key === key);
    expect(row("name")).toEqual({ key: "name", value: "acme", source: "dt.yaml:1" });
    expect(row("image")).toEqual({ key: "image", value: "svc-1", source: "default (dir name)" });
    expect(row("docker.mount")).toEqual({ key: "docker.mount", value: "/app", source: "dt.yaml:4" });
    expect(row("docker.sibling")).toEqual({ key: "docker.sibling", value: true, source: "services/svc-1/dt.yaml:2" });
    expect(row("version_policy")).toEqual({ key: "version_policy", value: "minor", source: "default" });
    const env = await dtJson(["config", "--json"], { cwd: ws.root, env: { DT_REGISTRY: "127.0.0.1:5000/x" } });
    expect(env.json.values.find((v: any) => v.key === "registry")).toEqual({ key: "registry", value: "127.0.0.1:5000/x", source: "env DT_REGISTRY" });
  });

  test("--dir outside the workspace is exit 2", async () => {
    const ws = makeWorkspace({ runnables: 0, depth: 0, uninitialized: false });
    const r = await dt(["config", "--dir", "/tmp"], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("outside the workspace");
  });

  test("outside a runnable dir, the target error lists the runnable dirs", async () => {
    const ws = makeWorkspace({ runnables: 2, depth: 0, uninitialized: false });
    const r = await dt(["version", "--dir", "services"], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("services/svc-1, services/svc-2");
  });
});

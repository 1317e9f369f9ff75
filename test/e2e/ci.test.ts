// dt ci matrix and dt ci init, from the compiled binary, on real git workspaces; then the
// generated workflow itself, run step by step the way GitHub Actions would run it: its `run:`
// scripts under bash with the runner's files (GITHUB_PATH, GITHUB_OUTPUT) and its expressions
// evaluated, dt installed by its own install step from a local "release".
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { cleanupAll, git, gitEnv, makeRepo, makeWorkspace, testdir } from "../support/fixtures.ts";
import { dt, dtArgv, dtJson } from "../support/dt.ts";

afterAll(cleanupAll);
// Real git repos, a dozen dt runs and an install per test.
setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "..", "..");
const INSTALL_URL = "https://github.com/dt-dev/dt/releases/latest/download/install.sh";

interface Entry {
  dir: string;
  image: string;
  stage: string;
  shard?: string;
}

describe("dt ci matrix", () => {
  const ws = makeWorkspace({ depth: 2 });
  const dirs = ws.runnables.map((r) => r.rel);

  test("one entry per runnable dir, with its image, in any sub dir", async () => {
    expect(dirs).toEqual([".", "services/svc-1", "services/svc-2", "libs/shared/tools/shared-tool", "libs/shared/vendor/core"]);
    const { result, json } = await dtJson(["ci", "matrix"], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(json.include.map((e: Entry) => e.dir).sort()).toEqual([...dirs].sort());
    expect(json.include.find((e: Entry) => e.dir === "services/svc-1")).toEqual({ dir: "services/svc-1", image: "svc-1", stage: "dev" });
    expect(json.include.find((e: Entry) => e.dir === ".")).toEqual({ dir: ".", image: "workspace", stage: "dev" });
    const inside = await dtJson(["ci", "matrix", "--json"], { cwd: join(ws.root, "libs/shared/src") });
    expect(inside.json).toEqual(json);
    expect(result.stderr).toContain(`matrix of ${dirs.length} jobs`);
  });

  test("--shards N: N entries per dir; --shards 1 is no sharding", async () => {
    const { json } = await dtJson(["ci", "matrix", "--shards", "2"], { cwd: ws.root });
    expect(json.include).toHaveLength(2 * dirs.length);
    for (const dir of dirs) {
      expect(json.include.filter((e: Entry) => e.dir === dir).map((e: Entry) => e.shard)).toEqual(["1/2", "2/2"]);
    }
    const one = await dtJson(["ci", "matrix", "--shards", "1"], { cwd: ws.root });
    expect(one.json.include.every((e: Entry) => !("shard" in e))).toBe(true);
  });

  test("images carry the registry of dt.yaml, or of DT_REGISTRY", async () => {
    const repo = makeRepo(join(testdir().path, "acme"), {
      "dt.yaml": "name: acme\nregistry: ghcr.io/acme\n",
      "changelog.txt": "# acme-1.0.0\n- 2026-01-01\n- x\n",
      "devops/.keep": "",
      "apps/api/changelog.txt": "# api-1.0.0\n- 2026-01-01\n- x\n",
      "apps/api/devops/.keep": "",
      "apps/api/dt.yaml": "image: api-server\n",
    });
    const { json } = await dtJson(["ci", "matrix"], { cwd: repo });
    expect(json).toEqual({
      include: [
        { dir: ".", image: "ghcr.io/acme/acme", stage: "dev" },
        { dir: "apps/api", image: "ghcr.io/acme/api-server", stage: "dev" },
      ],
    });
    const env = await dtJson(["ci", "matrix"], { cwd: repo, env: { DT_REGISTRY: "reg.example:5000/team/" } });
    expect(env.json.include.map((e: Entry) => e.image)).toEqual(["reg.example:5000/team/acme", "reg.example:5000/team/api-server"]);
  });

  test("no runnable dir: an empty matrix that is still valid JSON for GitHub", async () => {
    const repo = makeRepo(join(testdir().path, "plain"), { "README.md": "x\n" });
    const r = await dt(["ci", "matrix"], { cwd: repo });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ include: [] });
    expect(r.stderr).toContain("empty matrix");
  });

  test("usage errors exit 2 with the fix", async () => {
    for (const [args, message] of [
      [["--shards", "0"], "invalid --shards '0'"],
      [["--shards", "two"], "invalid --shards 'two'"],
      [["--shards", "999"], "from 1 to 256"],
      [["--base", "main"], "--base only makes sense with --changed"],
      [["--shards", "60"], "the matrix has 300 jobs"],
    ] as const) {
      const r = await dt(["ci", "matrix", ...args], { cwd: ws.root });
      expect(r.code).toBe(2);
      // Its output is always one JSON document: on failure, the error's (no matrix a job could run).
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ ok: false, exitCode: 2 });
      expect(doc.error.message).toContain(message);
      expect(doc.include).toBeUndefined();
      expect(r.stderr).toContain(message);
    }
  });

  test("--changed: only the changed dirs; a changed devops/ asks for a local build", async () => {
    const w = makeWorkspace({ depth: 0, runnables: 3, uninitialized: false });
    git(w.root, ["checkout", "-q", "-b", "feature"]);
    writeFileSync(join(w.root, "services/svc-1/app.py"), "x = 1\n");
    writeFileSync(join(w.root, "services/svc-3/devops/os_packages.txt"), "curl\n");
    git(w.root, ["add", "-A"]);
    git(w.root, ["commit", "-q", "-m", "change"]);
    const { result, json } = await dtJson(["ci", "matrix", "--changed", "--base", "main", "--shards", "2"], { cwd: w.root });
    expect(result.code).toBe(0);
    expect(json.include).toEqual([
      { dir: "services/svc-1", image: "svc-1", stage: "dev", shard: "1/2" },
      { dir: "services/svc-1", image: "svc-1", stage: "dev", shard: "2/2" },
      { dir: "services/svc-3", image: "svc-3", stage: "local", shard: "1/2" },
      { dir: "services/svc-3", image: "svc-3", stage: "local", shard: "2/2" },
    ]);
    expect(result.stderr).toContain("services/svc-1: changed: services/svc-1/app.py");
    const none = await dtJson(["ci", "matrix", "--changed", "--base", "HEAD"], { cwd: w.root });
    expect(none.json).toEqual({ include: [] });
    const bad = await dt(["ci", "matrix", "--changed", "--base", "no-such-ref"], { cwd: w.root });
    expect(bad.code).toBe(2);
  });
});

describe("dt ci init", () => {
  test("writes the workflow at the workspace root, never overwrites without --force", async () => {
    const ws = makeWorkspace({ depth: 1, uninitialized: false });
    const file = join(ws.root, ".github/workflows/dt.yml");
    const first = await dt(["ci", "init"], { cwd: join(ws.root, "services/svc-1") });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("wrote ../../.github/workflows/dt.yml\n");
    const text = readFileSync(file, "utf8");

    const again = await dt(["ci", "init"], { cwd: ws.root });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(".github/workflows/dt.yml is up to date\n");

    writeFileSync(file, `${text}# my own step\n`);
    const kept = await dt(["ci", "init"], { cwd: ws.root });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain("kept  .github/workflows/dt.yml (exists and differs; --force overwrites)");
    expect(readFileSync(file, "utf8")).toEndWith("# my own step\n");

    const forced = await dt(["ci", "init", "--force"], { cwd: ws.root });
    expect(forced.stdout).toBe("wrote .github/workflows/dt.yml\n");
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  test("the workflow: matrix job -> test job, the same dt commands as a laptop", async () => {
    const repo = makeRepo(join(testdir().path, "acme"), { "dt.yaml": "registry: ghcr.io/acme\n", "changelog.txt": "# acme-0.1.0\n- 2026-01-01\n- x\n", "devops/.keep": "" });
    git(repo, ["branch", "-m", "trunk"]);
    expect((await dt(["ci", "init"], { cwd: repo })).code).toBe(0);
    const wf = parse(readFileSync(join(repo, ".github/workflows/dt.yml"), "utf8"));

    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push", "workflow_dispatch"]);
    expect(wf.on.push.branches).toEqual(["trunk"]);
    expect(wf.env.DT_INSTALL_URL).toBe(INSTALL_URL);
    expect(wf.env.REGISTRY_HOST).toBe("ghcr.io");
    expect(Object.keys(wf.jobs)).toEqual(["matrix", "test"]);

    const { matrix, test: tests } = wf.jobs;
    const checkout = matrix.steps[0];
    expect(checkout.uses).toStartWith("actions/checkout@");
    expect(checkout.with).toMatchObject({ submodules: "recursive", "fetch-depth": 0 });
    const install = matrix.steps[1].run;
    expect(install).toContain('curl -fsSL "$DT_INSTALL_URL" | sh');
    expect(install).toContain('echo "$HOME/.local/bin" >> "$GITHUB_PATH"');
    expect(matrix.outputs.matrix).toBe("${{ steps.changed.outputs.matrix || steps.all.outputs.matrix }}");
    const changed = matrix.steps.find((s: any) => s.id === "changed");
    expect(changed.if).toBe("github.event_name == 'pull_request'");
    expect(changed.run).toContain('dt ci matrix --changed --base "origin/$BASE_REF"');
    expect(matrix.steps.find((s: any) => s.id === "all").if).toBe("github.event_name != 'pull_request'");

    expect(tests.needs).toBe("matrix");
    expect(tests.if).toBe("fromJSON(needs.matrix.outputs.matrix).include[0] != null");
    expect(tests.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.matrix.outputs.matrix) }}" });
    expect(tests.steps[0].with.submodules).toBe("recursive");
    const runs = tests.steps.filter((s: any) => s.run).map((s: any) => s.run.trim());
    expect(runs).toContain('dt docker pull --stage dev --dir "$DIR"');
    expect(runs).toContain('dt test --dir "$DIR" --stage "$STAGE" --junit reports/junit.xml ${SHARD:+--shard "$SHARD"}');
    const upload = tests.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload.with.path).toBe("reports/junit.xml");
    // No matrix value is spliced into a script: they arrive as variables.
    for (const job of [matrix, tests]) for (const s of job.steps) if (s.run) expect(s.run).not.toContain("${{");
  });

  test("a workspace without registry or origin: no login, push on the current branch", async () => {
    const repo = makeRepo(join(testdir().path, "x"), { "README.md": "x\n" });
    await dt(["ci", "init"], { cwd: repo });
    const wf = parse(readFileSync(join(repo, ".github/workflows/dt.yml"), "utf8"));
    expect(wf.env.REGISTRY_HOST).toBe("");
    expect(wf.on.push.branches).toEqual(["main"]);
  });
});

// ------------------------------------------------------------------ the workflow, run locally

/** The little of GitHub's expression language the workflow uses; anything else fails the test. */
function evaluate(expr: string, ctx: Record<string, any>): any {
  let e = expr.trim();
  const wrapped = /^\$\{\{(.*)\}\}$/s.exec(e);
  if (wrapped) e = wrapped[1]!.trim();
  const or = e.split(" || ");
  if (or.length > 1) return or.map((part) => evaluate(part, ctx)).find((v) => v !== "" && v != null) ?? "";
  const cmp = /^(.+?) (==|!=) (.+)$/.exec(e);
  if (cmp) {
    const [l, r] = [evaluate(cmp[1]!, ctx), evaluate(cmp[3]!, ctx)];
    const equal = (l ?? null) === (r ?? null) || (l == null && r === "") || (l === "" && r == null);
    return cmp[2] === "==" ? equal : !equal;
  }
  if (e === "!cancelled()") return true;
  if (e === "null") return null;
  const literal = /^'(.*)'$/.exec(e);
  if (literal) return literal[1];
  const call = /^fromJSON\((.+?)\)(.*)$/.exec(e);
  let value: any;
  let chain: string;
  if (call) {
    value = JSON.parse(evaluate(call[1]!, ctx));
    chain = call[2]!;
  } else {
    const head = /^[a-zA-Z_][\w-]*/.exec(e);
    if (!head) throw new Error(`expression not understood by the test: ${expr}`);
    value = ctx[head[0]];
    chain = e.slice(head[0].length);
  }
  for (const m of chain.matchAll(/\.([\w-]+)|\[(\d+)\]/g)) value = value?.[m[1] ?? Number(m[2])];
  return value;
}

/** `${{ }}` in a string; a string that is one expression keeps its value's type. */
function interpolate(text: any, ctx: Record<string, any>): any {
  if (typeof text !== "string") return text;
  const whole = /^\$\{\{(.*)\}\}$/s.exec(text.trim());
  if (whole && !whole[1]!.includes("}}")) return evaluate(whole[1]!, ctx);
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, inner: string) => String(evaluate(inner, ctx) ?? ""));
}

/** GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` blocks. */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const block = /^([\w-]+)<<(.+)$/.exec(line);
    if (block) {
      const end = lines.indexOf(block[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: no closing ${block[2]}`);
      out[block[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return out;
}

interface Runner {
  dir: string;
  home: string;
  /** Dirs the install step added through GITHUB_PATH. */
  path: string[];
}

let release: string | undefined;

/** A runner's temp dirs, and a "release" dir of this build for the install step. */
function makeRunner(): Runner & { release: string } {
  const dir = testdir().path;
  const home = join(dir, "home");
  mkdirSync(home);
  return { dir, home, path: [], release: (release ??= makeRelease()) };
}

/** What a release page serves: dt-OS-ARCH (this build), SHA256SUMS and install.sh. */
function makeRelease(): string {
  const release = join(testdir().path, "release");
  mkdirSync(release);
  const host = `${process.platform === "darwin" ? "darwin" : "linux"}-${process.arch === "arm64" ? "arm64" : "x64"}`;
  const asset = join(release, `dt-${host}`);
  const argv = dtArgv();
  if (argv.length === 1) copyFileSync(argv[0]!, asset);
  else writeFileSync(asset, `#!/bin/sh\nexec ${argv.map((a) => `'${a}'`).join(" ")} "$@"\n`);
  chmodSync(asset, 0o755);
  const sha = new Bun.CryptoHasher("sha256").update(readFileSync(asset)).digest("hex");
  writeFileSync(join(release, "SHA256SUMS"), `${sha}  dt-${host}\n`);
  copyFileSync(join(ROOT, "install.sh"), join(release, "install.sh"));
  return release;
}

let stepCounter = 0;

/** Runs one `run:` step as the runner does: bash, the step's env, PATH with GITHUB_PATH first. */
async function runStep(runner: Runner, cwd: string, step: any, env: Record<string, string>, extraPath: string[] = []) {
  const n = ++stepCounter;
  const output = join(runner.dir, `output-${n}`);
  const pathFile = join(runner.dir, `path-${n}`);
  writeFileSync(output, "");
  writeFileSync(pathFile, "");
  const shell = step.shell === "bash" ? ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"] : ["bash", "-e", "-c"];
  const proc = Bun.spawn([...shell, step.run], {
    cwd,
    env: {
      ...gitEnv(),
      ...env,
      NO_COLOR: "1",
      HOME: runner.home,
      GITHUB_OUTPUT: output,
      GITHUB_PATH: pathFile,
      PATH: [...extraPath, ...runner.path, process.env.PATH ?? "/usr/bin:/bin"].join(":"),
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`step '${step.name}' failed (${code}):\n${stdout}\n${stderr}`);
  runner.path.unshift(...readFileSync(pathFile, "utf8").split("\n").filter(Boolean).reverse());
  return { outputs: readOutputs(output), stdout, stderr };
}

/** The env a step sees: workflow, job, step (later wins), expressions evaluated. */
function stepEnv(wf: any, job: any, step: any, ctx: Record<string, any>, overrides: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const layer of [wf.env, job.env, step.env]) {
    for (const [k, v] of Object.entries(layer ?? {})) env[k] = String(interpolate(v, { ...ctx, env }) ?? "");
  }
  return { ...env, ...overrides };
}

/** Runs the matrix job for an event; returns the job's `matrix` output, parsed. */
async function runMatrixJob(wf: any, runner: Runner & { release: string }, cwd: string, github: Record<string, string>, overrides: Record<string, string>) {
  const job = wf.jobs.matrix;
  const ctx: Record<string, any> = { github, steps: {} };
  for (const step of job.steps) {
    if (step.uses) continue; // actions/checkout: the workspace is already checked out
    if (step.if !== undefined && !evaluate(step.if, ctx)) {
      if (step.id) ctx.steps[step.id] = { outputs: {} };
      continue;
    }
    const result = await runStep(runner, cwd, step, stepEnv(wf, job, step, ctx, overrides));
    if (step.id) ctx.steps[step.id] = { outputs: result.outputs };
  }
  return { raw: interpolate(job.outputs.matrix, ctx) as string, ctx };
}

/** A `dt` on PATH that records each call's argv (one file per call) instead of running it. */
function recorder(runner: Runner): { dir: string; calls(): string[][] } {
  const dir = join(runner.dir, "recorder");
  const calls = join(runner.dir, "calls");
  mkdirSync(dir, { recursive: true });
  mkdirSync(calls, { recursive: true });
  writeFileSync(join(dir, "dt"), `#!/bin/sh\nf="${calls}/$(date +%s%N)-$$"\nprintf '%s\\0' "$@" > "$f"\n`);
  chmodSync(join(dir, "dt"), 0o755);
  return {
    dir,
    calls: () =>
      readdirSync(calls)
        .sort()
        .map((f) => readFileSync(join(calls, f), "utf8").split("\0").slice(0, -1)),
  };
}

/**
 * Runs the test job's steps for each matrix entry with a recording `dt`, and returns the dt
 * command lines each entry would run.
 */
async function runTestJob(wf: any, runner: Runner, cwd: string, matrix: { include: Entry[] }, overrides: Record<string, string>) {
  const job = wf.jobs.test;
  const rec = recorder(runner);
  const perEntry: string[][][] = [];
  for (const [index, entry] of matrix.include.entries()) {
    const before = rec.calls().length;
    const ctx: Record<string, any> = { matrix: entry, strategy: { "job-index": index }, secrets: {}, github: { token: "t", actor: "a" } };
    for (const step of job.steps) {
      if (step.if !== undefined && !evaluate(step.if, { ...ctx, env: stepEnv(wf, job, step, ctx, overrides) })) continue;
      if (step.uses || !step.run || step.run.includes("DT_INSTALL_URL")) continue; // installed by the matrix job already
      await runStep(runner, cwd, step, stepEnv(wf, job, step, ctx, overrides), [rec.dir]);
    }
    perEntry.push(rec.calls().slice(before));
  }
  return perEntry;
}

/** `dt CMD --help` accepts the command and lists every flag the workflow gives it. */
async function checkParses(argv: string[], cwd: string): Promise<"ok" | "not registered"> {
  const path = argv.slice(0, argv.findIndex((a) => a.startsWith("-")));
  const help = await dt([...path, "--help"], { cwd });
  if (help.code === 2 && help.stderr.includes("unknown command")) return "not registered";
  expect(help.code).toBe(0);
  for (const flag of argv.filter((a) => a.startsWith("--"))) expect(help.stdout).toContain(flag.split("=")[0]!);
  return "ok";
}

describe("the generated workflow, run locally", () => {
  test("push: dt installs from its release URL, the matrix has every dir, each job runs pull and dt test", async () => {
    const ws = makeWorkspace({ depth: 1, runnables: 2, uninitialized: false });
    await dt(["ci", "init"], { cwd: ws.root });
    const wf = parse(readFileSync(join(ws.root, ".github/workflows/dt.yml"), "utf8"));
    const runner = makeRunner();
    // The install step as written, only pointed at a local copy of the release.
    const overrides = { DT_INSTALL_URL: `file://${runner.release}/install.sh`, DT_DOWNLOAD_URL: `file://${runner.release}` };

    const { raw } = await runMatrixJob(wf, runner, ws.root, { event_name: "push", base_ref: "" }, overrides);
    expect(runner.path).toEqual([join(runner.home, ".local/bin")]);
    expect(existsSync(join(runner.home, ".local/bin/dt"))).toBe(true);
    const matrix = JSON.parse(raw);
    expect(matrix).toEqual((await dtJson(["ci", "matrix"], { cwd: ws.root })).json);
    expect(matrix.include.map((e: Entry) => e.dir).sort()).toEqual(ws.runnables.map((r) => r.rel).sort());
    expect(evaluate(wf.jobs.test.if, { needs: { matrix: { outputs: { matrix: raw } } } })).toBe(true);
    expect(interpolate(wf.jobs.test.strategy.matrix, { needs: { matrix: { outputs: { matrix: raw } } } })).toEqual(matrix);

    const calls = await runTestJob(wf, runner, ws.root, matrix, overrides);
    expect(calls).toEqual(
      matrix.include.map((e: Entry) => [
        ["docker", "pull", "--stage", "dev", "--dir", e.dir],
        ["test", "--dir", e.dir, "--stage", "dev", "--junit", "reports/junit.xml"],
      ]),
    );
    // `dt docker pull` and `dt test` are written by others; a command not registered yet in
    // this build cannot be checked, the others must accept every flag the workflow passes.
    for (const argv of calls[0]!) {
      const verdict = await checkParses(argv, ws.root);
      if (verdict === "not registered") console.error(`note: 'dt ${argv.slice(0, 2).join(" ")}' is not in this build yet; its flags were not checked`);
    }
  });

  test("pull request: only the changed dirs, sharded, a changed devops/ is built instead of pulled", async () => {
    const ws = makeWorkspace({ depth: 0, runnables: 3, uninitialized: false });
    await dt(["ci", "init"], { cwd: ws.root });
    git(ws.root, ["add", "-A"]);
    git(ws.root, ["commit", "-q", "-m", "ci"]);
    // What actions/checkout leaves for a pull request: the base branch as origin/BASE.
    git(ws.root, ["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(ws.root, ["checkout", "-q", "-b", "feature"]);
    writeFileSync(join(ws.root, "services/svc-1/app.py"), "x = 1\n");
    writeFileSync(join(ws.root, "services/svc-3/devops/os_packages.txt"), "curl\n");
    git(ws.root, ["add", "-A"]);
    git(ws.root, ["commit", "-q", "-m", "change"]);
    const wf = parse(readFileSync(join(ws.root, ".github/workflows/dt.yml"), "utf8"));
    const runner = makeRunner();
    const overrides = { DT_INSTALL_URL: `file://${runner.release}/install.sh`, DT_DOWNLOAD_URL: `file://${runner.release}`, SHARDS: "2" };

    const { raw, ctx } = await runMatrixJob(wf, runner, ws.root, { event_name: "pull_request", base_ref: "main" }, overrides);
    expect(ctx.steps.all.outputs).toEqual({});
    const matrix = JSON.parse(raw);
    expect(matrix.include).toEqual([
      { dir: "services/svc-1", image: "svc-1", stage: "dev", shard: "1/2" },
      { dir: "services/svc-1", image: "svc-1", stage: "dev", shard: "2/2" },
      { dir: "services/svc-3", image: "svc-3", stage: "local", shard: "1/2" },
      { dir: "services/svc-3", image: "svc-3", stage: "local", shard: "2/2" },
    ]);

    const calls = await runTestJob(wf, runner, ws.root, matrix, overrides);
    expect(calls).toEqual(
      matrix.include.map((e: Entry) => [
        e.stage === "dev" ? ["docker", "pull", "--stage", "dev", "--dir", e.dir] : ["docker", "build", "--stage", "local", "--dir", e.dir],
        ["test", "--dir", e.dir, "--stage", e.stage, "--junit", "reports/junit.xml", "--shard", e.shard!],
      ]),
    );
    for (const argv of [...calls[0]!, ...calls[2]!]) {
      const verdict = await checkParses(argv, ws.root);
      if (verdict === "not registered") console.error(`note: 'dt ${argv.slice(0, 2).join(" ")}' is not in this build yet; its flags were not checked`);
    }
  });

  test("pull request that changes no runnable dir: empty matrix, the test job is skipped", async () => {
    const ws = makeWorkspace({ depth: 0, runnables: 1, uninitialized: false });
    await dt(["ci", "init"], { cwd: ws.root });
    git(ws.root, ["add", "-A"]);
    git(ws.root, ["commit", "-q", "-m", "ci"]);
    git(ws.root, ["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(ws.root, ["checkout", "-q", "-b", "feature"]);
    const wf = parse(readFileSync(join(ws.root, ".github/workflows/dt.yml"), "utf8"));
    const runner = makeRunner();
    const overrides = { DT_INSTALL_URL: `file://${runner.release}/install.sh`, DT_DOWNLOAD_URL: `file://${runner.release}` };
    const { raw } = await runMatrixJob(wf, runner, ws.root, { event_name: "pull_request", base_ref: "main" }, overrides);
    expect(JSON.parse(raw)).toEqual({ include: [] });
    expect(evaluate(wf.jobs.test.if, { needs: { matrix: { outputs: { matrix: raw } } } })).toBe(false);
  });
});

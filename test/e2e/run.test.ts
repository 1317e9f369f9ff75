// `dt run`: the tasks of dt.yaml, run by the compiled binary in a real git workspace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readText } from "../../src/core/base/fs-util.ts";
import { dt, dtArgv, dtJson } from "../support/dt.ts";
import { localTag } from "../support/tags.ts";
import { addSubmodule, cleanupAll, git, gitEnv, makeRepo, testdir } from "../support/fixtures.ts";

afterAll(cleanupAll);

const pkg = (await Bun.file(join(import.meta.dir, "../../package.json")).json()) as { version: string };

const ROOT_YAML = `setenv:
  path: [dev_scripts]
  pythonpath: [".", helpers_root]
tasks:
  where: echo "ws=$DT_WORKSPACE target=$DT_TARGET_DIR pwd=$(pwd) image=\${DT_IMAGE-none}"
  steps: [echo one, "exit 7", echo three]
  args: [echo first, "printf '<%s>'"]
  self: [command -v dt >/dev/null, dt --version]
  env: [python3 -c 'import mylib; print(mylib.NAME)', dt-hello]
  lint: echo root lint
  slow: sh -c 'echo $$ > "$PIDFILE"; exec sleep 30'; echo after
`;

let root: string;
let tmp: string;
/** No dt on PATH: a `dt` step can only work through the dt that runs it. */
const env = () => ({ PATH: "/usr/local/bin:/usr/bin:/bin", TMPDIR: tmp, HOME: join(tmp, "home"), PYTHONPATH: undefined, DT_BIN: undefined });

beforeAll(() => {
  const dir = testdir().path;
  tmp = join(dir, "tmp");
  mkdirSync(tmp);
  mkdirSync(join(tmp, "home"));
  const helpers = makeRepo(join(dir, "upstream", "helpers"), {
    "mylib/__init__.py": "NAME = 'mylib'\n",
    "dev_scripts/dt-hello": "#!/bin/sh\necho hello\n",
  });
  chmodSync(join(helpers, "dev_scripts", "dt-hello"), 0o755);
  git(helpers, ["add", "-A"]);
  git(helpers, ["commit", "-q", "-m", "exec bit"]);
  root = makeRepo(join(dir, "work space"), {
    "dt.yaml": ROOT_YAML,
    "notes/README": "",
    "svc/changelog.txt": "# svc-0.2.0\n- 2026-01-02\n- Initial\n",
    "svc/devops/.keep": "",
    "svc/dt.yaml": "tasks:\n  lint: echo svc lint\n  svc-only: pwd\n",
  });
  addSubmodule(root, helpers, "helpers_root");
});

describe("dt run TASK", () => {
  test("a string task runs in the workspace root (no runnable dir around) with the DT_* variables", async () => {
    const r = await dt(["run", "where"], { cwd: join(root, "notes"), env: env() });
    expect(r.stderr).toContain(`$ echo "ws=$DT_WORKSPACE`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ws=${root} target= pwd=${root} image=none\n`);
  });

  test("in a runnable dir: runs there, with its image, and its dt.yaml's tasks merged over the root's", async () => {
    const r = await dt(["run", "where"], { cwd: join(root, "svc"), env: { ...env(), USER: "ann" } });
    expect(r.stdout).toBe(`ws=${root} target=${root}/svc pwd=${root}/svc image=svc:${localTag(root, "ann")}\n`);
    expect((await dt(["run", "lint"], { cwd: join(root, "svc"), env: env() })).stdout).toBe("svc lint\n");
    expect((await dt(["run", "lint"], { cwd: root, env: env() })).stdout).toBe("root lint\n");
    expect((await dt(["run", "lint", "--dir", "svc"], { cwd: root, env: env() })).stdout).toBe("svc lint\n");
  });

  test("a list task stops at the first failing step with its exit code", async () => {
    const r = await dt(["run", "steps"], { cwd: root, env: env() });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("one\n");
    expect(r.stderr).toContain("task 'steps' failed at step 2 of 3 with exit code 7");
  });

  test("-- ARGS are shell-quoted and appended to the last step only", async () => {
    const r = await dt(["run", "args", "--", "a b", "c'd", "$HOME", "*"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("first\n<a b><c'd><$HOME><*>");
  });

  test("a `dt ...` step runs this same dt, even with no dt on PATH, and leaves no temp file", async () => {
    const r = await dt(["run", "self"], { cwd: root, env: env() });
    expect(r.stderr).not.toContain("not found");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(readdirSync(tmp).filter((f) => f.startsWith("dt-run-"))).toEqual([]);
  });

  test("steps get the PATH and PYTHONPATH of dt setenv: a sub-repo's module and script", async () => {
    const r = await dt(["run", "env"], { cwd: root, env: env() });
    expect(r.stderr).not.toContain("rror");
    expect(r.stdout).toBe("mylib\nhello\n");
    expect(r.code).toBe(0);
  });

  test("an unknown task is exit 2 with a did-you-mean and the list", async () => {
    const r = await dt(["run", "lnit"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown task 'lnit'. Did you mean 'lint'?");
    expect(r.stderr).toContain("tasks: where, steps, args, self, env, lint, slow");
    expect(r.stdout).toBe("");
  });

  test("no task, or a task outside a workspace, is exit 2", async () => {
    const none = await dt(["run"], { cwd: root, env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no task to run");
    const away = await dt(["run", "lint"], { cwd: tmp, env: env() });
    expect(away.code).toBe(2);
    expect(away.stderr).toContain("not inside a git repository");
  });
});

test("SIGTERM to dt stops the step's whole process tree and removes the dt shim", async () => {
  const pidfile = join(tmp, "step.pid");
  const proc = Bun.spawn([...dtArgv(), "run", "slow"], {
    cwd: root,
    env: { ...gitEnv(), ...env(), PYTHONPATH: "", PIDFILE: pidfile },
    stdout: "pipe",
    stderr: "pipe",
  });
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    await Bun.sleep(100);
    pid = Number((await Bun.file(pidfile).exists()) ? (await Bun.file(pidfile).text()).trim() : 0);
  }
  expect(pid).toBeGreaterThan(0);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(143);
  expect(await new Response(proc.stdout).text()).not.toContain("after");
  // Gone, or a zombie waiting for a reaper (PID 1 of a container may not reap).
  const alive = () => (readText(`/proc/${pid}/stat`) ?? ") Z").split(") ")[1]!.startsWith("Z") === false;
  for (let i = 0; i < 20 && alive(); i++) await Bun.sleep(100);
  expect(alive()).toBe(false);
  expect(readdirSync(tmp).filter((f) => f.startsWith("dt-run-"))).toEqual([]);
});

describe("dt run --list", () => {
  test("a table of the tasks with their steps and where each is defined", async () => {
    const r = await dt(["run", "--list"], { cwd: join(root, "svc"), env: env() });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TASK\s+STEPS\s+DEFINED IN$/);
    expect(lines.find((l) => l.startsWith("steps "))).toMatch(/^steps\s+echo one && exit 7 && echo three\s+dt\.yaml:6$/);
    expect(lines.find((l) => l.startsWith("lint "))).toMatch(/^lint\s+echo svc lint\s+svc\/dt\.yaml:2$/);
    expect(lines.find((l) => l.startsWith("svc-only "))).toBeDefined();
  });

  test("--json: one document with the dir and every task's steps", async () => {
    const { result, json } = await dtJson(["run", "--list", "--json"], { cwd: root, env: env() });
    expect(result.code).toBe(0);
    expect(json.dir).toBe(".");
    expect(json.tasks).toContainEqual({ name: "steps", steps: ["echo one", "exit 7", "echo three"], source: "dt.yaml:6" });
    expect(json.tasks).toContainEqual({ name: "lint", steps: ["echo root lint"], source: "dt.yaml:10" });
    expect(json.tasks.map((t: { name: string }) => t.name)).toEqual(["where", "steps", "args", "self", "env", "lint", "slow"]);
  });

  test("--list with a task is a usage error", async () => {
    const r = await dt(["run", "--list", "lint"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
  });
});

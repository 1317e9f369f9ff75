// Two users on one machine and one engine: root, and the test bed's second user (non-root, in
// the engine socket's group), running dt as itself through setpriv. Root cannot show these
// faults alone: kill(pid, 0) never fails with EPERM for it, and every directory is writable.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, gitEnv, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtArgv, type DtResult } from "../support/dt.ts";
import { docker, dtContainersOf, removeImages } from "../support/docker.ts";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.ts";
import { otherUser, testbed } from "../support/testbed.ts";
import { STAND_IN_JUPYTER } from "../support/jupyter-stand-in.ts";
import { changelog, killStragglers, spawnDt, suffix, waitUntil } from "./helpers.ts";

setDefaultTimeout(180_000);

const sfx = suffix();
const other = otherUser();
const passwd = Bun.spawnSync(["getent", "passwd", other]).stdout.toString().trim().split(":");
const otherUid = Number(passwd[2]);
const otherHome = passwd[5]!;
/** dt as the second user runs from a copy it can read (the checkout may be under /root). */
let otherDt: string[] = [];
const started: ReturnType<typeof Bun.spawn>[] = [];

beforeAll(() => {
  const argv = dtArgv();
  if (argv.length > 1) {
    otherDt = argv;
    return;
  }
  const dir = testdir().path;
  chmodSync(dir, 0o755);
  otherDt = [join(dir, "dt")];
  copyFileSync(argv[0]!, otherDt[0]!);
  chmodSync(otherDt[0]!, 0o755);
});

afterEach(() => {
  killStragglers();
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  started.length = 0;
});

/** Workspaces on the main engine: whatever a failed test left there is removed at the end. */
const mainEngineWorkspaces: string[] = [];

afterAll(async () => {
  for (const ws of mainEngineWorkspaces) for (const c of await dtContainersOf(ws)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  await removeImages([`dtmu-${sfx}-lab`, `dtmu-${sfx}-victim`]);
  cleanupAll();
});

/** A temp dir the second user may enter (testdir's are 0700, root's). */
function sharedDir(): string {
  const dir = testdir().path;
  chmodSync(dir, 0o755);
  return dir;
}

/** Hands `dir` (recursively) to the second user. */
const giveToOther = (dir: string) => expect(Bun.spawnSync(["chown", "-R", `${other}:${other}`, dir]).exitCode).toBe(0);

/** dt run as the second user, with its own HOME and USER; started in the background. */
function spawnAsOther(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const env = { ...gitEnv(), NO_COLOR: "1", HOME: otherHome, USER: other, LOGNAME: other, ...options.env };
  const proc = Bun.spawn(["setpriv", `--reuid=${other}`, `--regid=${other}`, "--init-groups", "--", ...otherDt, ...args], {
    cwd: options.cwd,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.push(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const done: Promise<DtResult> = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(([stdout, stderr, code]) => {
    clearTimeout(timer);
    return { code, stdout, stderr, ms: 0 };
  });
  return { proc, done };
}

const asOther = (args: string[], options: { cwd: string; env?: Record<string, string> }) => spawnAsOther(args, options).done;

/** A runnable workspace on the busybox image. */
function workspace(dir: string, name: string): string {
  return makeRepo(join(dir, name), {
    "dt.yaml": `name: ${name}\nimage: dtmu-${sfx}-${name}\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": changelog(name),
    "devops/.keep": "",
  });
}

describe("dt docker clean on a shared engine (a private second engine, so --all sees only this test's containers)", () => {
  let engine: SecondEngine;
  let rootWs = "";
  let otherWs = "";

  beforeAll(async () => {
    engine = await startSecondEngine({ images: [testbed().images.busybox] });
    // The second user reaches the socket through its group; the engine's dir must let it pass.
    chmodSync(engine.dir, 0o711);
    rootWs = workspace(sharedDir(), "rootws");
    otherWs = workspace(sharedDir(), "otherws");
    giveToOther(otherWs);
    expect((await dt(["docker", "build"], { cwd: rootWs, env: { ...engine.env, USER: "dttest" } })).code).toBe(0);
    const built = await asOther(["docker", "build"], { cwd: otherWs, env: engine.env });
    expect(built.stderr).toContain("built");
    expect(built.code).toBe(0);
  });

  afterAll(() => engine?.destroy());

  /** The workspace's containers on the second engine, as the engine lists them. */
  const containersOf = async (ws: string) =>
    (await engine.api().listContainers({ all: true, filters: { label: [`dev.dt.workspace=${ws}`] } })).map((c) => ({
      id: c.Id.slice(0, 12),
      state: c.State,
      pid: Number(c.Labels["dev.dt.pid"]),
      uid: c.Labels["dev.dt.uid"],
    }));

  /** Starts `dt docker cmd -- sleep 60` and waits until its container runs; returns dt's process. */
  async function sleeper(ws: string, asOtherUser: boolean) {
    const args = ["docker", "cmd", "--", "sleep", "60"];
    const proc = asOtherUser ? spawnAsOther(args, { cwd: ws, env: engine.env }).proc : spawnDt(args, { cwd: ws, env: { ...engine.env, USER: "dttest" } }).proc;
    const container = (await waitUntil("the sleeper's container", 30_000, async () => (await containersOf(ws)).find((c) => c.pid === proc.pid && c.state === "running")))!;
    return { proc, container };
  }

  test("EPERM is alive: another user's running container stays, also with --all; without --all only your own orphans go", async () => {
    const live = await sleeper(rootWs, false);
    const orphan = await sleeper(rootWs, false);
    orphan.proc.kill("SIGKILL");
    await orphan.proc.exited;
    const own = await sleeper(otherWs, true);
    own.proc.kill("SIGKILL");
    await own.proc.exited;
    expect(own.container.uid).toBe(String(otherUid));
    expect(live.container.uid).toBe("0");

    // In root's workspace, without --all: root's containers are root's, orphaned or not.
    const here = await asOther(["docker", "clean", "--json"], { cwd: rootWs, env: engine.env });
    expect(here.code).toBe(0);
    expect(JSON.parse(here.stdout).containers).toEqual([]);
    expect((await containersOf(rootWs)).map((c) => c.id).sort()).toEqual([live.container.id, orphan.container.id].sort());

    // In its own workspace: its own orphan goes (its dt is gone: ESRCH).
    const mine = await asOther(["docker", "clean", "--json"], { cwd: otherWs, env: engine.env });
    expect(mine.code).toBe(0);
    expect(JSON.parse(mine.stdout).containers.map((c: any) => c.id)).toEqual([own.container.id]);
    expect(await containersOf(otherWs)).toEqual([]);

    // --all: root's orphan goes; root's live run (kill(pid, 0) = EPERM for this user) stays.
    const all = await asOther(["docker", "clean", "--all", "--json"], { cwd: otherHome, env: engine.env });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).containers.map((c: any) => c.id)).toEqual([orphan.container.id]);
    expect(await containersOf(rootWs)).toEqual([live.container]);

    live.proc.kill("SIGINT");
    expect(await live.proc.exited).toBe(130);
    expect(await containersOf(rootWs)).toEqual([]);
  });
});

describe("dt docker jupyter: the token is on no command line", () => {
  test("another user finds it in no process's cmdline and cannot read the server's environment; the server admits it", async () => {
    const ws = makeRepo(join(sharedDir(), "lab"), {
      "dt.yaml": `name: lab\nimage: dtmu-${sfx}-lab\nbase_image: ${testbed().images.pybase}\n`,
      "changelog.txt": changelog("lab"),
      "devops/.keep": "",
      "dev_scripts/jupyter": STAND_IN_JUPYTER,
    });
    chmodSync(join(ws, "dev_scripts", "jupyter"), 0o755);
    mainEngineWorkspaces.push(ws);
    const env = { USER: "dttest" };
    expect((await dt(["docker", "build"], { cwd: ws, env })).code).toBe(0);
    const lab = spawnDt(["docker", "jupyter"], { cwd: ws, env });
    const url = (await waitUntil("the URL", 60_000, () => lab.stderrSoFar().match(/http:\/\/127\.0\.0\.1:(\d+)\/lab\?token=([0-9a-f]{48})/)))!;
    const [, port, token] = url as unknown as [string, string, string];
    await waitUntil("the server to admit the token", 30_000, async () => (await fetch(url[0]).then((r) => r.status).catch(() => 0)) === 200);
    expect(await fetch(url[0].replace(/token=.*/, "token=wrong")).then((r) => r.status)).toBe(403);

    // Every command line on the machine, as the other user sees them (what `ps` shows).
    const as = (script: string) => Bun.spawnSync(["setpriv", `--reuid=${other}`, `--regid=${other}`, "--init-groups", "--", "sh", "-c", script]);
    const cmdlines = as("cat /proc/[0-9]*/cmdline 2>/dev/null; true").stdout.toString("latin1");
    const args = cmdlines.split("\0");
    expect(args).toContain(`--port=${port}`);
    expect(args.filter((a) => a.includes(token))).toEqual([]);

    // The server got it through its environment, which only its own user (and root) may read.
    const server = readdirSync("/proc").find((pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, "latin1");
        return line.includes("jupyter\0lab") && line.includes(`--port=${port}`);
      } catch {
        return false;
      }
    });
    expect(server).toBeDefined();
    expect(readFileSync(`/proc/${server}/environ`, "latin1")).toContain(`JUPYTER_TOKEN=${token}`);
    const peek = as(`cat /proc/${server}/environ`);
    expect(peek.exitCode).not.toBe(0);
    expect(peek.stdout.toString("latin1")).not.toContain(token);

    lab.proc.kill("SIGINT");
    expect((await lab.done).code).toBe(130);
    expect(await dtContainersOf(ws)).toEqual([]);
  });
});

describe("a plugin dir planted by another user", () => {
  const planted = `/tmp/dt-${otherUid}`;
  const ownCache = join(otherHome, ".cache", "dt");
  const hadCache = existsSync(join(otherHome, ".cache"));
  afterAll(() => {
    rmSync(planted, { recursive: true, force: true });
    rmSync(hadCache ? ownCache : join(otherHome, ".cache"), { recursive: true, force: true });
  });

  test("with ~/.cache unwritable, the tests never see a /tmp/dt-UID that someone else made; with it, the plugin lives there, private", async () => {
    // What another user (here uid 65534) can do first on a shared machine: /tmp is everyone's.
    const key = createHash("sha256").update(readFileSync(join(import.meta.dir, "../../assets/pytest/dt_pytest.py"), "utf8")).digest("hex").slice(0, 12);
    rmSync(planted, { recursive: true, force: true });
    mkdirSync(join(planted, `pytest-${key}`), { recursive: true });
    writeFileSync(join(planted, `pytest-${key}`, "sitecustomize.py"), "import os, sys\nprint('PLANTED-CODE-RAN', file=sys.stderr)\nopen(os.path.join(os.environ.get('DT_WORKSPACE', '/tmp'), 'PLANTED'), 'w').write('x')\n");
    expect(Bun.spawnSync(["chown", "-R", "65534:65534", planted]).exitCode).toBe(0);
    expect(Bun.spawnSync(["chmod", "-R", "a+rwX", planted]).exitCode).toBe(0);

    const ws = makeRepo(join(sharedDir(), "victim"), {
      "dt.yaml": `name: victim\nimage: dtmu-${sfx}-victim\nbase_image: ${testbed().images.pybase}\n`,
      "changelog.txt": changelog("victim"),
      "devops/.keep": "",
      "tests/test_one.py": "def test_one():\n    assert True\n",
    });
    giveToOther(ws);
    mainEngineWorkspaces.push(ws);
    expect((await asOther(["docker", "build"], { cwd: ws })).code).toBe(0);

    // A HOME whose .cache the user cannot create: root's, read-only to it.
    const noCache = sharedDir();
    // --no-cache: each run must start its container (a passing result would be served from the cache).
    const run = await asOther(["test", "--json", "--no-cache"], { cwd: ws, env: { HOME: noCache } });
    expect(run.stderr).not.toContain("PLANTED-CODE-RAN");
    expect(existsSync(join(ws, "PLANTED"))).toBe(false);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).totals.passed).toBe(1);
    // The fresh dir it used instead is gone with dt.
    expect(readdirSync("/tmp").filter((n) => n.startsWith("dt-pytest-") && statSync(join("/tmp", n)).uid === otherUid)).toEqual([]);

    // With its own cache: the plugin is kept there, in a directory only it may write.
    const again = await asOther(["test", "--json", "--no-cache"], { cwd: ws });
    expect(again.code).toBe(0);
    const dir = join(ownCache, `pytest-${key}`);
    const st = statSync(dir);
    expect(st.uid).toBe(otherUid);
    expect(st.mode & 0o022).toBe(0);
    expect(readdirSync(dir)).toEqual(["dt_pytest.py"]);
    expect(existsSync(join(ws, "PLANTED"))).toBe(false);
  });
});

// Engine faults on a real, private engine (test/support/second-engine.ts) that these tests stop
// and start: stopped before a command, stopped under a running command, back again for
// `dt docker clean`; and a container killed for running out of memory.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, dtContainers, killStragglers, LONG_FAST_SUITE, runningDtContainers, spawnDt, waitUntil } from "./helpers.ts";

setDefaultTimeout(300_000);

let engine: SecondEngine;
let root = "";
let env: Record<string, string> = {};
const START_HINT = /start the Docker engine/;

beforeAll(async () => {
  engine = await startSecondEngine({ images: [testbed().images.pybase] });
  env = { ...engine.env, USER: "dttest" };
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: faults\nbase_image: ${testbed().images.pybase}\n${LONG_FAST_SUITE}`,
    ...{ "changelog.txt": changelog("faults"), "devops/.keep": "" },
    "tests/test_sleep.py": "import time\n\ndef test_sleeps():\n    time.sleep(120)\n",
    // A runnable dir whose container may hold 64 MB, and a test that wants 300 MB.
    "hungry/changelog.txt": changelog("hungry"),
    "hungry/devops/.keep": "",
    "hungry/dt.yaml": "image: hungry\ndocker: {memory: 64m}\n",
    "hungry/tests/test_memory.py": [
      "def test_allocates_300_mb():",
      "    chunks = []",
      "    for _ in range(30):",
      "        chunks.append(b'x' * (10 * 1024 * 1024))",
      "    assert len(chunks) == 30",
      "",
    ].join("\n"),
  });
  const build = await dt(["docker", "build", "--all"], { cwd: root, env });
  expect(build.stderr).not.toContain("error");
  expect(build.code).toBe(0);
});

afterEach(async () => {
  killStragglers();
  // A failed test may have left the engine stopped; the next one needs it.
  if (engine && engine.pid() === null) await engine.start();
});

afterAll(async () => {
  await engine?.destroy();
  cleanupAll();
});

describe("engine stopped before a command", () => {
  test("dt doctor, docker cmd, test, build, clean: exit 3 quickly, naming the engine and how to start it", async () => {
    await engine.stop();
    try {
      const commands: [string[], number][] = [
        [["doctor"], 2000],
        [["docker", "cmd", "--", "true"], 5000],
        [["test"], 5000],
        [["docker", "build", "--no-cache"], 5000],
        [["docker", "clean"], 5000],
      ];
      for (const [args, limit] of commands) {
        const r = await dt(args, { cwd: root, env, timeoutMs: 20_000 });
        const said = r.stdout + r.stderr;
        expect({ args, code: r.code }).toEqual({ args, code: 3 });
        expect(r.ms).toBeLessThan(limit);
        expect(said).toContain(`the Docker engine at ${engine.host} is not reachable`);
        expect(said).toMatch(START_HINT);
        expect(said).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
      }
    } finally {
      await engine.start();
    }
  });
});

describe("engine stopped during a command", () => {
  test("dt docker cmd -- sleep 60: exit 3, says the engine stopped and how to start it", async () => {
    const run = spawnDt(["docker", "cmd", "--", "sleep", "60"], { cwd: root, env });
    await waitUntil("the container to run", 30_000, async () => (await runningDtContainers(engine.api(), root)).length === 1);
    const stopping = engine.stop();
    const r = await run.done;
    await stopping;
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.stderr).toContain(`the Docker engine at ${engine.host} stopped while the container was running`);
    expect(r.stderr).toMatch(START_HINT);
    await engine.start();
  });

  test("dt test with a sleeping test: non-zero, the dir is an error naming the engine, no pass reported; dt docker clean after the restart", async () => {
    const run = spawnDt(["test", "--json"], { cwd: root, env });
    await waitUntil("pytest to start", 60_000, () => run.stderrSoFar().includes("collected 1 item"));
    const stopping = engine.stop();
    const r = await run.done;
    await stopping;
    expect(r.code).not.toBe(0);
    expect([1, 3]).toContain(r.code);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.dirs.length).toBe(1);
    expect(report.dirs[0].status).not.toBe("passed");
    expect(report.dirs[0].counts.passed).toBe(0);
    expect(report.dirs[0].reason).toContain("the Docker engine");
    expect(report.dirs[0].reason).toContain("stopped");
    expect(report.dirs[0].hint).toMatch(START_HINT);
    // The engine is back: what the stop left (the stopped test container) goes with dt docker clean.
    await engine.start();
    expect((await dtContainers(engine.api(), root)).every((c) => c.State !== "running")).toBe(true);
    const clean = await dt(["docker", "clean"], { cwd: root, env });
    expect(clean.code).toBe(0);
    expect(await dtContainers(engine.api(), root)).toEqual([]);
  });

  test("after a dt crash (SIGKILL) and an engine restart, dt docker clean removes what was left", async () => {
    const run = spawnDt(["test"], { cwd: root, env });
    await waitUntil("pytest to start", 60_000, () => run.stderrSoFar().includes("collected 1 item"));
    run.proc.kill("SIGKILL");
    await run.done;
    await engine.stop();
    await engine.start();
    const left = await dtContainers(engine.api(), root);
    expect(left.length).toBe(1);
    expect(left[0]!.State).not.toBe("running");
    const clean = await dt(["docker", "clean"], { cwd: root, env });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("removed container");
    expect(await dtContainers(engine.api(), root)).toEqual([]);
  });
});

describe("out of memory", () => {
  test("docker.memory 64m and a test allocating 300 MB: the dir failed, the reason says out of memory", async () => {
    const { result, json } = await dtJson(["test", "--dir", "hungry", "--json"], { cwd: root, env, timeoutMs: 120_000 });
    const dir = json.dirs[0];
    expect({ code: result.code, reason: dir.reason }).toEqual({ code: 1, reason: expect.stringContaining("out of memory") });
    expect(dir.dir).toBe("hungry");
    expect(dir.status).toBe("failed");
    expect(dir.reason).toContain("out of memory");
    expect(dir.counts.passed).toBe(0);
    const text = await dt(["test", "--dir", "hungry"], { cwd: root, env, timeoutMs: 120_000 });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("out of memory");
    expect(await dtContainers(engine.api(), root)).toEqual([]);
  });
});

// runTests against the fake engine: how a dir's container ending becomes the dir's status.
// The fake writes no JUnit report, so counts stay zero; the status comes from the exit alone.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerConfig } from "../../../../src/core/engine/engine.ts";
import { START_HINT } from "../../../../src/core/engine/engine-errors.ts";
import { runTests, type TestRunOptions } from "../../../../src/core/testing/run-tests.ts";
import { TestCache, type CacheRunOptions } from "../../../../src/core/testing/test-cache.ts";
import { floating, LABEL } from "../../../../src/core/workspace/image-ref.ts";
import { FakeEngine, type Behaviour } from "../../../support/fake-engine.ts";
import { localLabels, runnableTarget, type FakeTarget } from "../../../support/fake-target.ts";
import { cleanupAll, git } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const OPTIONS: TestRunOptions = { suite: "fast", jobs: 1, pytestArgs: [] };

let engine: FakeEngine;
let dir: FakeTarget;
beforeEach(() => {
  engine = new FakeEngine();
  dir = runnableTarget();
  const local = dir.target.ref("local");
  engine.addImage({ tags: [`${local.repository}:${local.versionedTag}`, floating(local)], labels: localLabels(dir.target) });
});

async function runWith(behaviour: Behaviour) {
  engine.onRun({ command: "pytest" }, behaviour);
  const selection = { ws: dir.ws, base: null, dirs: [{ path: ".", absPath: dir.root, reasons: ["target dir"], staleImage: false }] };
  const report = await runTests(engine, selection, OPTIONS);
  return { report, result: report.dirs[0]! };
}

describe("runTests: a dir's status", () => {
  // e2e: test-command.test.ts "an unknown suite is exit 2; a dir with no tests is 'no tests', exit 0"
  test("pytest's exit 5 is 'no tests', and the report is ok", async () => {
    const { report, result } = await runWith({ exitCode: 5, stdout: ["no tests ran in 0.01s"] });
    expect({ status: result.status, exitCode: result.exitCode, reason: result.reason }).toEqual({ status: "no-tests", exitCode: 5, reason: null });
    expect(report.ok).toBe(true);
    expect(result.output).toContain("no tests ran");
    const config = engine.callsTo("createContainer")[0]![0] as ContainerConfig;
    expect(config.Cmd?.slice(0, 3)).toEqual(["python3", "-m", "pytest"]);
    expect(config.Cmd).toContain("not slow and not superslow");
    // Kept to be inspected for an OOM kill, then removed by dt itself.
    expect(config.HostConfig.AutoRemove).toBe(false);
    expect([...engine.containers.values()].every((c) => c.state === "removed")).toBe(true);
  });

  // e2e: test-command.test.ts "runs each dir's tests in its own image exactly once, counts per dir, exit 1, ..."
  test("pytest's exit 1 is 'failed' and the report is not ok", async () => {
    const { report, result } = await runWith({ exitCode: 1 });
    expect({ status: result.status, ok: report.ok }).toEqual({ status: "failed", ok: false });
  });

  // e2e: test-command.test.ts "an image without python3: the dir could not run, ..."
  test("pytest that cannot start (exit 127, nothing reported) is an 'error' the summary counts as could not run, with the fix", async () => {
    const { report, result } = await runWith({ exitCode: 127, stdout: ["entrypoint.sh: exec: line 25: python3: not found"] });
    expect(result.status).toBe("error");
    expect(result.reason).toBe("pytest could not start in the image (exit 127: a command was not found)");
    expect(result.hint).toContain("must provide python3 and pytest");
    expect(report.ok).toBe(false);
  });

  // e2e: reliability/engine-faults.test.ts "out of memory"
  test("a container the kernel killed for memory is 'failed', and the reason says out of memory", async () => {
    const { report, result } = await runWith({ oom: true });
    expect(result.status).toBe("failed");
    expect(result.reason).toContain("out of memory");
    expect(report.ok).toBe(false);
    expect([...engine.containers.values()].every((c) => c.state === "removed")).toBe(true);
  });

  // e2e: reliability/engine-faults.test.ts "dt test with a sleeping test: ... the dir is an error naming the engine"
  test("the engine stopping under a test is an 'error' naming the engine, with how to start it", async () => {
    const { report, result } = await runWith({ engineStops: true, stdout: ["collected 1 item"] });
    expect(result.status).toBe("error");
    expect(result.reason).toContain("the Docker engine");
    expect(result.reason).toContain("stopped while the container was running");
    expect(result.hint).toContain(START_HINT);
    expect(report.ok).toBe(false);
  });

  // e2e: test-command.test.ts "a missing image is exit 3 with the command that builds it"
  test("a missing image is an 'error' with the command that builds it; no container is created", async () => {
    engine.images.clear();
    const { report, result } = await runWith({});
    expect(result.status).toBe("error");
    expect(result.reason).toBe(`the root dir 0.1.0 is not built in this workspace (no local image ${result.image}, nor a dev image it may use)`);
    expect(result.hint).toContain("dt docker build");
    expect(report.ok).toBe(false);
    expect(engine.callsTo("createContainer")).toEqual([]);
  });
});

describe("runTests: the result cache", () => {
  /** The fake target as a git repo (the cache lists files with git), with its local image. */
  function cachedTarget(dtYaml = "name: app\n") {
    const t = runnableTarget(dtYaml, { "tests/test_app.py": "def test_app():\n    pass\n" });
    git(t.root, ["init", "-q"]);
    git(t.root, ["add", "-A"]);
    git(t.root, ["commit", "-qm", "init"]);
    const eng = new FakeEngine();
    const local = t.target.ref("local");
    eng.addImage({ tags: [`${local.repository}:${local.versionedTag}`, floating(local)], labels: { ...localLabels(t.target), [LABEL.contentDigest]: "sha256:c1" } });
    // null: no cache at all, as a release's tests run.
    const run = async (behaviour: Behaviour, cache: CacheRunOptions | null = {}) => {
      eng.onRun({ command: "pytest" }, behaviour);
      const selection = { ws: t.ws, base: null, dirs: [{ path: ".", absPath: t.root, reasons: ["target dir"], staleImage: false }] };
      const report = await runTests(eng, selection, { ...OPTIONS, cache: cache ? new TestCache(t.ws, cache) : undefined });
      return { report, result: report.dirs[0]!, containers: eng.callsTo("createContainer").length };
    };
    return { ...t, engine: eng, run };
  }

  // e2e: test-cache.test.ts "a second run serves the passing dirs from the cache and runs the failing one"
  test("a pass is served the second time without a container; --no-cache runs it; a failure with the same inputs drops it", async () => {
    const t = cachedTarget();
    const first = await t.run({ exitCode: 0 });
    expect({ status: first.result.status, cached: first.result.cached, containers: first.containers }).toEqual({ status: "passed", cached: false, containers: 1 });
    const second = await t.run({ exitCode: 0 });
    expect({ status: second.result.status, cached: second.result.cached, containers: second.containers }).toEqual({ status: "passed", cached: true, containers: 1 });
    expect(second.result.cachedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(second.report.cache).toEqual({ hits: 1, warnings: [] });
    expect((await t.run({ exitCode: 0 }, { noCache: true })).containers).toBe(2);
    // The same inputs now fail (a flaky test): that run is reported, and the old pass is gone.
    expect((await t.run({ exitCode: 1 }, { noCache: true })).result.status).toBe("failed");
    const after = await t.run({ exitCode: 1 });
    expect({ status: after.result.status, cached: after.result.cached, containers: after.containers }).toEqual({ status: "failed", cached: false, containers: 4 });
  });

  test("without the cache option (a release's tests) and with test.cache: off, every run starts a container", async () => {
    const off = cachedTarget("name: app\ntest:\n  cache: off\n");
    await off.run({ exitCode: 0 });
    expect((await off.run({ exitCode: 0 })).containers).toBe(2);
    const none = cachedTarget();
    await none.run({ exitCode: 0 }, null);
    const again = await none.run({ exitCode: 0 }, null);
    expect({ containers: again.containers, cache: again.report.cache }).toEqual({ containers: 2, cache: null });
  });

  test("--explain names the file that changed since the last cached run", async () => {
    const t = cachedTarget();
    await t.run({ exitCode: 0 });
    writeFileSync(join(t.root, "app.py"), "VALUE = 2\n");
    const { result } = await t.run({ exitCode: 0 }, { explain: true });
    expect(result.cached).toBe(false);
    expect(result.explain).toEqual(["app.py changed"]);
  });

  // e2e: test-cache.test.ts (the registry that answers); here one that never does.
  test("a registry that does not answer costs one 2 s timeout and a warning; the tests run", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const t = cachedTarget(`name: app\nregistry: 127.0.0.1:${server.port}/team\ntest:\n  cache: registry\n`);
      const started = performance.now();
      const { result, report, containers } = await t.run({ exitCode: 0 });
      const seconds = (performance.now() - started) / 1000;
      expect({ status: result.status, containers }).toEqual({ status: "passed", containers: 1 });
      // One timeout for the lookup; the store after the run does not wait again.
      expect(seconds).toBeGreaterThan(1.9);
      expect(seconds).toBeLessThan(3.5);
      expect(report.cache?.warnings).toHaveLength(1);
      expect(report.cache?.warnings[0]).toContain(`registry 127.0.0.1:${server.port} did not answer within 2 s`);
      // Stored locally all the same.
      expect((await t.run({ exitCode: 0 })).result.cached).toBe(true);
    } finally {
      server.stop(true);
    }
  }, 15_000);
});

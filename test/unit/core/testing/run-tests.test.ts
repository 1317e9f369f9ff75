// runTests against the fake engine: how a dir's container ending becomes the dir's status.
// The fake writes no JUnit report, so counts stay zero; the status comes from the exit alone.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { ContainerConfig } from "../../../../src/core/engine/engine.ts";
import { START_HINT } from "../../../../src/core/engine/engine-errors.ts";
import { runTests, type TestRunOptions } from "../../../../src/core/testing/run-tests.ts";
import { floating, LABEL } from "../../../../src/core/workspace/image-ref.ts";
import { FakeEngine, type Behaviour } from "../../../support/fake-engine.ts";
import { localLabels, runnableTarget, type FakeTarget } from "../../../support/fake-target.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

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

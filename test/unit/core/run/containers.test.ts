// runContainer against the fake engine: exit codes, output, and that every container dt starts
// is gone when it returns, is interrupted, or fails to start.
import { describe, expect, spyOn, test } from "bun:test";
import * as lifecycle from "../../../../src/core/base/lifecycle.ts";
import { START_HINT } from "../../../../src/core/engine/engine-errors.ts";
import { runContainer, runContainerFully, type ContainerIO, type RunSpec } from "../../../../src/core/run/containers.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine, type Behaviour } from "../../../support/fake-engine.ts";
import { collector } from "../../../support/fake-target.ts";

const IMAGE = "app:local-dt-0.1.0";

function setup(behaviour: Behaviour, spec: Partial<RunSpec> = {}) {
  const engine = new FakeEngine();
  engine.addImage({ tags: [IMAGE] });
  engine.onRun({ image: IMAGE }, behaviour);
  const out = collector();
  const err = collector();
  const io: ContainerIO = { tty: false, stdin: null, stdout: out.stream, stderr: err.stream };
  const full: RunSpec = { image: IMAGE, cmd: ["sh", "-c", "true"], env: {}, workingDir: "/w", binds: [], labels: { "dev.dt.workspace": "/w" }, namePrefix: "app", ...spec };
  const gone = () => [...engine.containers.values()].every((c) => c.state === "removed");
  return { engine, io, spec: full, out, err, gone };
}

describe("runContainer", () => {
  // e2e: docker.test.ts "exit code, stdout and stderr are the command's own"
  test("the command's exit code, stdout and stderr pass through; the container is removed by the time it returns", async () => {
    const { engine, io, spec, out, err, gone } = setup({ exitCode: 3, stdout: ["to stdout"], stderr: ["to stderr"] });
    expect(await runContainer(engine, spec, io)).toBe(3);
    expect({ out: out.text(), err: err.text() }).toEqual({ out: "to stdout\n", err: "to stderr\n" });
    expect(engine.callsTo("waitContainer").map(([, condition]) => condition)).toEqual(["removed"]);
    expect(gone()).toBe(true);
  });

  // e2e: docker.test.ts "SIGINT to 'dt docker cmd -- sleep 60' stops and removes the container, exit 130";
  // reliability/interrupts.test.ts "dt docker cmd": "SIGINT|SIGTERM during 'dt docker cmd -- sleep 60' ..."
  test("an interrupt's cleanups remove a container that would run forever, and the run settles", async () => {
    const { engine, io, spec, gone } = setup({ hang: true });
    const run = runContainerFully(engine, spec, io);
    await Bun.sleep(10);
    expect([...engine.containers.values()].map((c) => c.state)).toEqual(["running"]);
    // What main.ts's signal handler does: mark the interruption, then run the cleanups. Unmarked,
    // dt would take the kill (exit 137 and a "kill" event) for an engine shutting down and ping
    // it for 4 s before settling. markInterrupted cannot be undone and the test files share one
    // process, so the mark is stood in for here and restored after.
    const interrupted = spyOn(lifecycle, "interruptedBy").mockReturnValue("SIGINT");
    try {
      await lifecycle.runCleanups();
      expect(gone()).toBe(true);
      expect(await run).toEqual({ exitCode: 137, oomKilled: false, engineStopped: false });
    } finally {
      interrupted.mockRestore();
    }
    expect(lifecycle.interruptedBy()).toBeUndefined();
    // The run unregistered its cleanup: a later interrupt has nothing of it left to remove.
    const removals = engine.callsTo("removeContainer").length;
    await lifecycle.runCleanups();
    expect(engine.callsTo("removeContainer").length).toBe(removals);
  });

  // e2e: reliability/engine-faults.test.ts "out of memory" (through dt test, which keeps its containers)
  test("keep: an OOM kill is told from the kept container, which is removed after", async () => {
    const { engine, io, spec, gone } = setup({ oom: true }, { keep: true, memory: 64 << 20 });
    expect(await runContainerFully(engine, spec, io)).toEqual({ exitCode: 137, oomKilled: true, engineStopped: false });
    expect(engine.callsTo("inspectContainer").length).toBe(1);
    expect(gone()).toBe(true);
  });

  // e2e: reliability/engine-faults.test.ts "dt docker cmd -- sleep 60: exit 3, says the engine stopped and how to start it"
  test("the engine stopping under the command is exit 3 saying so, with how to start it", async () => {
    const { engine, io, spec } = setup({ engineStops: true });
    const e = await dtRejectionOf(runContainer(engine, spec, io));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("stopped while the container was running (the command got signal 15)");
    expect(e.hint).toContain(START_HINT);
    // Told by the kill event, then by the engine no longer answering.
    expect(engine.callsTo("events").length).toBe(1);
    expect(engine.callsTo("ping").length).toBeGreaterThanOrEqual(1);
  });

  // The same e2e test, when the engine's shutdown closes the wait before it says the container ended.
  test("the engine going away with the wait still open is the same: it stopped while the container was running", async () => {
    const { engine, io, spec } = setup({ engineDropsWait: true });
    const e = await dtRejectionOf(runContainer(engine, spec, io));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("stopped while the container was running");
    expect(e.message).not.toContain("not reachable");
    expect(e.hint).toContain(START_HINT);
  });

  // e2e: docker.test.ts "--dind asks for a privileged container; an engine that refuses one is exit 3 with the reason"
  test("a start the engine refuses: the created container is removed, the error names the image and, with --dind, why", async () => {
    const { engine, io, spec, gone } = setup({ refuseStart: "privileged mode is incompatible with user namespaces" }, { dind: true });
    const e = await dtRejectionOf(runContainer(engine, spec, io));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`starting the container of ${IMAGE}`);
    expect(e.message).toContain("privileged mode is incompatible");
    expect(e.hint).toContain("--dind needs an engine that may start privileged containers");
    expect(gone()).toBe(true);
  });
});

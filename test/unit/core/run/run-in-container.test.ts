// runInContainer against the fake engine: the container made while the image is looked up is
// the run's when the lookup agrees, and never outlives dt when it does not.
import { afterAll, describe, expect, test } from "bun:test";
import { runInContainer } from "../../../../src/core/run/run-in-container.ts";
import type { ContainerIO } from "../../../../src/core/run/containers.ts";
import { versioned } from "../../../../src/core/workspace/image-ref.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { collector, localLabels, runnableTarget } from "../../../support/fake-target.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

function setup(dtYaml = "name: app\n") {
  const engine = new FakeEngine();
  const { target } = runnableTarget(dtYaml);
  const out = collector();
  const io: ContainerIO = { tty: false, stdin: null, stdout: out.stream, stderr: collector().stream };
  const states = () => [...engine.containers.values()].map((c) => c.state);
  return { engine, target, io, out, states };
}

describe("runInContainer: the container created while the image is looked up", () => {
  test("the exact local version: one container, created once, run, gone", async () => {
    const { engine, target, io, out, states } = setup();
    const name = versioned(target.ref("local"));
    engine.addImage({ tags: [name], labels: localLabels(target) });
    engine.onRun({ image: name }, { exitCode: 4, stdout: ["ran"] });
    expect(await runInContainer(engine, target, [], { cmd: ["true"] }, io)).toBe(4);
    expect(out.text()).toBe("ran\n");
    expect(engine.callsTo("createContainer").length).toBe(1);
    expect(engine.callsTo("startContainer").length).toBe(1);
    expect(states()).toEqual(["removed"]);
  });

  test("another patch version that version_policy allows: its container runs, with the notice", async () => {
    const { engine, target, io, states } = setup();
    const older = target.ref("local", "0.1.5");
    // Built earlier, for this workspace and dir, under another patch version: the exact name is not there.
    engine.addImage({ tags: [versioned(older)], labels: localLabels(target, "0.1.5") });
    engine.onRun({ image: versioned(older) }, { exitCode: 0 });
    const notices: string[] = [];
    const code = await runInContainer(engine, target, [], { cmd: ["true"] }, io, (text) => notices.push(text));
    expect(code).toBe(0);
    expect(notices.join("\n")).toContain("version_policy");
    const started = engine.callsTo("startContainer").map(([id]) => engine.containers.get(id as string)?.config.Image);
    expect(started).toEqual([versioned(older)]);
    expect(states().every((s) => s === "removed")).toBe(true);
  });

  test("the exact name on an image another dir built: the early container is removed, this dir's image runs", async () => {
    const { engine, target, io, states } = setup();
    engine.addImage({ tags: [versioned(target.ref("local"))], labels: { ...localLabels(target), "dev.dt.runnable-dir": "elsewhere" } });
    const own = target.ref("local", "0.1.5");
    engine.addImage({ tags: [versioned(own)], labels: localLabels(target, "0.1.5") });
    expect(await runInContainer(engine, target, [], { cmd: ["true"] }, io)).toBe(0);
    const created = engine.callsTo("createContainer").map(([config]) => (config as { Image: string }).Image);
    expect(created).toEqual([versioned(target.ref("local")), versioned(own)]);
    const started = engine.callsTo("startContainer").map(([id]) => engine.containers.get(id as string)?.config.Image);
    expect(started).toEqual([versioned(own)]);
    expect(states()).toEqual(["removed", "removed"]);
  });

  test("an image that fails the checks (another architecture): nothing is started, nothing is left", async () => {
    const { engine, target, io, states } = setup();
    const name = versioned(target.ref("local"));
    engine.addImage({ tags: [name], labels: localLabels(target), arch: "s390x" });
    const e = await dtRejectionOf(runInContainer(engine, target, [], { cmd: ["true"] }, io));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("s390x");
    expect(engine.callsTo("startContainer")).toEqual([]);
    // The early container was made (same name, same image) and removed again.
    expect(engine.callsTo("createContainer").length).toBe(1);
    expect(states()).toEqual(["removed"]);
  });

  test("no image at all: exit 3 saying it is not built, and no container", async () => {
    const { engine, target, io, states } = setup();
    const e = await dtRejectionOf(runInContainer(engine, target, [], { cmd: ["true"] }, io));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("not built in this workspace");
    expect(states()).toEqual([]);
  });
});

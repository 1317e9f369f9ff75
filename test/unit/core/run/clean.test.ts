// cleanDt against the fake engine: what `dt docker clean` may remove, found by label.
import { expect, test } from "bun:test";
import { cleanDt } from "../../../../src/core/run/clean.ts";
import { CONTAINER_LABEL, containerConfig, type RunSpec } from "../../../../src/core/run/containers.ts";
import { LABEL } from "../../../../src/core/workspace/image-ref.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";

// e2e: docker.test.ts "SIGKILL of dt leaves a labelled container that 'dt docker clean' removes";
// reliability/engine-faults.test.ts "after a dt crash (SIGKILL) and an engine restart, dt docker clean removes what was left"
test("stopped containers of the workspace and untagged images dt built go; a live run, other workspaces and foreign images stay", async () => {
  const engine = new FakeEngine();
  engine.addImage({ tags: ["app:local-dt"] });
  const spec = (workspace: string): RunSpec => ({
    image: "app:local-dt",
    env: {},
    workingDir: "/w",
    binds: [],
    labels: { [CONTAINER_LABEL.workspace]: workspace, [CONTAINER_LABEL.runnableDir]: "." },
    namePrefix: "app",
    keep: true,
  });
  const io = { tty: false, stdin: null };
  const create = (workspace: string) => engine.createContainer(containerConfig(spec(workspace), io, undefined));
  const stopped = await create("/ws");
  await engine.startContainer(stopped);
  // Started by this very process, which is alive: a run in progress, not an orphan.
  engine.onRun({}, { hang: true });
  const live = await create("/ws");
  await engine.startContainer(live);
  const elsewhere = await create("/other");
  await Bun.sleep(5);
  const oldBuild = engine.addImage({ labels: { [LABEL.runnableDir]: ".", [LABEL.workspace]: "/ws" } });
  const foreign = engine.addImage({ labels: {} });

  const dry = await cleanDt(engine, { workspace: "/ws", dryRun: true });
  expect(dry.containers.map((c) => c.id)).toEqual([stopped.slice(0, 12)]);
  expect(engine.callsTo("removeContainer")).toEqual([]);

  const result = await cleanDt(engine, { workspace: "/ws" });
  expect(result.containers.map((c) => c.id)).toEqual([stopped.slice(0, 12)]);
  expect(result.images).toEqual([oldBuild.Id.slice(7, 19)]);
  expect(engine.containers.get(stopped)?.state).toBe("removed");
  expect(engine.containers.get(live)?.state).toBe("running");
  expect(engine.containers.get(elsewhere)?.state).toBe("created");
  expect(engine.images.has(oldBuild.Id)).toBe(false);
  expect(engine.images.has(foreign.Id)).toBe(true);
});

// reliability/multi-user.test.ts runs the same as a second, non-root user against root's containers.
test("another user's containers are theirs: left alone without allUsers, and even with it only orphans go", async () => {
  const engine = new FakeEngine();
  engine.addImage({ tags: ["app:local-dt"] });
  const spec: RunSpec = {
    image: "app:local-dt",
    env: {},
    workingDir: "/w",
    binds: [],
    labels: { [CONTAINER_LABEL.workspace]: "/ws", [CONTAINER_LABEL.runnableDir]: "." },
    namePrefix: "app",
    keep: true,
  };
  const io = { tty: false, stdin: null };
  const theirs = async (pid: number, start: boolean) => {
    const id = await engine.createContainer(containerConfig(spec, io, undefined));
    const labels = engine.containers.get(id)!.config.Labels!;
    labels[CONTAINER_LABEL.uid] = "4242";
    labels[CONTAINER_LABEL.pid] = String(pid);
    if (start) await engine.startContainer(id);
    return id;
  };
  const stopped = await theirs(process.pid, true);
  engine.onRun({}, { hang: true });
  const live = await theirs(process.pid, true);
  // Created, never started, by a dt that is gone.
  const gone = await theirs(Bun.spawnSync(["true"]).pid, false);
  await Bun.sleep(5);

  expect((await cleanDt(engine, { workspace: "/ws", dryRun: true })).containers).toEqual([]);
  const all = await cleanDt(engine, { workspace: "/ws", allUsers: true });
  expect(all.containers.map((c) => c.id).sort()).toEqual([stopped, gone].map((id) => id.slice(0, 12)).sort());
  expect(all.containers.every((c) => c.uid === 4242)).toBe(true);
  expect(engine.containers.get(live)?.state).toBe("running");
});

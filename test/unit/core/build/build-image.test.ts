// buildImage against the fake engine: the digest skip and the build stream's failure line,
// in-process. The same behaviours on the real engine: test/e2e/docker.test.ts ("dt docker build").
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage, type BuildEvent } from "../../../../src/core/build/build-image.ts";
import { floating, LABEL, versioned } from "../../../../src/core/workspace/image-ref.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { runnableTarget } from "../../../support/fake-target.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("buildImage", () => {
  // e2e: docker.test.ts "dt's labels go on in one step after the Dockerfile's own"
  test("the Dockerfile is built without labels; dt's labels go on in one labelling build of that image, which gets the tags", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    const events: BuildEvent[] = [];
    const built = await buildImage(engine, target, { stage: "local" }, (e) => events.push(e));
    const [query] = engine.builds.map((b) => b.query);
    expect(query!.labels).toBeUndefined();
    expect(query!.t).toBeUndefined();
    const calls = engine.callsTo("labelImage") as [string, Record<string, string>, Record<string, unknown>][];
    expect(calls.length).toBe(1);
    const [from, labels, labelQuery] = calls[0]!;
    expect(from).not.toBe(built.id);
    expect(engine.image(from!)).toBeDefined();
    expect(labels![LABEL.contextDigest]).toBe(built.contextDigest);
    expect(labelQuery!.t).toBe(versioned(target.ref("local")));
    expect(engine.image(versioned(target.ref("local")))?.Id).toBe(built.id);
    expect(engine.image(built.id)?.labels[LABEL.stage]).toBe("local");
    expect(events.filter((e) => e.kind === "step").at(-1)).toEqual({ kind: "step", text: `labelling the image (${Object.keys(labels!).length} labels)` });
  });

  // e2e: docker.test.ts "building again is skipped and says so; touching a file in the context rebuilds"
  test("an unchanged dir is not built again, its tags come back to the image; a changed file builds anew", async () => {
    const engine = new FakeEngine();
    const { root, target } = runnableTarget();
    const ref = target.ref("local");

    const first = await buildImage(engine, target, { stage: "local" });
    expect(first.skipped).toBe(false);
    expect(engine.builds.length).toBe(1);
    // The context went to the engine whole: as many bytes as announced.
    expect(engine.builds[0]!.bytes).toBe(engine.builds[0]!.length);
    expect(engine.image(versioned(ref))?.Id).toBe(first.id);
    expect(engine.image(first.id)?.labels[LABEL.contextDigest]).toBe(first.contextDigest);

    // Someone else's image took the floating tag meanwhile; the skip must give it back.
    engine.addImage({ tags: [floating(ref)] });
    const again = await buildImage(engine, target, { stage: "local" });
    expect({ skipped: again.skipped, id: again.id, digest: again.contextDigest }).toEqual({ skipped: true, id: first.id, digest: first.contextDigest });
    expect(engine.callsTo("build").length).toBe(1);
    expect(engine.image(floating(ref))?.Id).toBe(first.id);
    expect(engine.image(versioned(ref))?.Id).toBe(first.id);

    // A local image holds dependencies, not code: only devops/ and the project files count.
    writeFileSync(join(root, "app.py"), "VALUE = 2  # changed\n");
    expect((await buildImage(engine, target, { stage: "local" })).skipped).toBe(true);
    writeFileSync(join(root, "devops/os_packages.txt"), "curl\n");
    const changed = await buildImage(engine, target, { stage: "local" });
    expect(changed.skipped).toBe(false);
    expect(changed.contextDigest).not.toBe(first.contextDigest);
    expect(engine.callsTo("build").length).toBe(2);
    expect(engine.image(floating(ref))?.Id).toBe(changed.id);
  });

  // e2e: docker.test.ts "a failing build step is exit 1 and shows the step and its output"
  test("an error line in the build stream is exit 1 naming the step and its output; nothing is tagged", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    engine.buildFailure = { step: 3, message: "The command '/bin/sh -c install.sh' returned a non-zero code: 42", output: ["about to fail"] };
    const events: BuildEvent[] = [];
    const e = await dtRejectionOf(buildImage(engine, target, { stage: "local" }, (ev) => events.push(ev)));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("failed at Step 3/3 : RUN /tmp/context/devops/docker_build/install.sh");
    expect(e.message).toContain("returned a non-zero code: 42");
    expect(e.message).toContain("about to fail");
    expect(e.hint).toContain("devops/");
    expect(events.filter((ev) => ev.kind === "step").map((ev) => ev.text)).toContain("Step 1/3 : FROM python:3.12-slim");
    expect(engine.images.size).toBe(0);
    expect(engine.callsTo("tagImage")).toEqual([]);
  });

  // e2e: builders.test.ts "a two-platform release built on two engines ..." (the build after it is skipped)
  test("a platform build uses the pinned base, so a pull of the base for another platform does not make it look changed", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    const native = `linux/${engine.arch}`;
    const base = engine.addImage({ tags: ["python:3.12-slim"] });
    const first = await buildImage(engine, target, { stage: "local", platform: native });
    expect(engine.builds[0]!.query.buildargs).toMatchObject({ BASE_IMAGE: `dt-base/python-3.12-slim:linux-${engine.arch}` });
    expect(engine.image(`dt-base/python-3.12-slim:linux-${engine.arch}`)?.Id).toBe(base.Id);
    // What a pull of another platform's variant does to the name.
    engine.addImage({ tags: ["python:3.12-slim"], arch: engine.arch === "amd64" ? "arm64" : "amd64" });
    const again = await buildImage(engine, target, { stage: "local", platform: native });
    expect({ skipped: again.skipped, digest: again.contextDigest }).toEqual({ skipped: true, digest: first.contextDigest });
    expect(engine.callsTo("pull")).toEqual([]);
  });

  // e2e: deps.test.ts "a stale lock fails dt docker build before its first step"
  test("a poetry.lock resolved from another pyproject.toml is exit 2 before the engine gets a byte", async () => {
    const engine = new FakeEngine();
    const pyproject = '[tool.poetry]\nname = "app"\n[tool.poetry.dependencies]\npython = "^3.11"\n';
    const { target } = runnableTarget("name: app\n", { "pyproject.toml": pyproject, "poetry.lock": '[metadata]\ncontent-hash = "0000"\n' });
    const e = await dtRejectionOf(buildImage(engine, target, { stage: "local" }));
    expect(e.exitCode).toBe(2);
    expect(e.hint).toContain("dt deps lock");
    expect(engine.callsTo("build").length).toBe(0);
  });

  // e2e: docker.test.ts "an image with ONBUILD triggers keeps them ..."
  test("an image with ONBUILD triggers is not built FROM for its labels: it is built again with /build's labels, from the cache", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    engine.onBuildTriggers = ["RUN touch /onbuild-ran"];
    const events: BuildEvent[] = [];
    const built = await buildImage(engine, target, { stage: "local", noCache: true }, (e) => events.push(e));
    expect(engine.callsTo("labelImage")).toEqual([]);
    const [first, again] = engine.builds.map((b) => b.query);
    expect(first!.labels).toBeUndefined();
    expect({ nocache: again!.nocache, t: again!.t, digest: (again!.labels as Record<string, string>)[LABEL.contextDigest] }).toEqual({
      nocache: false,
      t: versioned(target.ref("local")),
      digest: built.contextDigest,
    });
    expect(engine.image(versioned(target.ref("local")))?.Id).toBe(built.id);
    expect(events.filter((e) => e.kind === "step").at(-1)?.text).toMatch(/^labelling the image \(\d+ labels, a step each: it has ONBUILD triggers\)$/);
  });

  test("afterBuild sees the image once built, and again when a build is skipped", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    const seen: { id: string; skipped: boolean }[] = [];
    const afterBuild = async (r: { id: string; skipped: boolean }) => void seen.push({ id: r.id, skipped: r.skipped });
    const first = await buildImage(engine, target, { stage: "local", afterBuild });
    await buildImage(engine, target, { stage: "local", afterBuild });
    expect(seen).toEqual([
      { id: first.id, skipped: false },
      { id: first.id, skipped: true },
    ]);
  });
});

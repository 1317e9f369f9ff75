import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { askEarly, engineImagesOf, localKey, stagesIn } from "../../../../src/core/engine/local-stages.ts";
import { imageRef, LABEL, versioned, workspaceKey } from "../../../../src/core/workspace/image-ref.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";

describe("stagesIn", () => {
  const tags = new Set(["reg.example/app:dev-1.2.0", "app:prod-1.2.0", "reg.example/app:prod-1.1.0", "reg.example/app:local-ann-1234abcd-1.2.0"]);
  const local = new Set([localKey("/a/orders", "apps/app", "1.2.0")]);
  const dir = (registry: string | null, version: string | null) => ({ path: "apps/app", image: "app", registry, version });

  test("local by the labels of this workspace's images; dev and prod by their versioned tags with the registry prefix", () => {
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", "1.2.0"))).toEqual({ local: true, dev: true, prod: false });
    expect(stagesIn({ tags, local }, "/a/orders", dir(null, "1.2.0"))).toEqual({ local: true, dev: false, prod: true });
  });

  test("another checkout's local image is not this one's, whatever its tag", () => {
    expect(stagesIn({ tags, local }, "/b/orders", dir("reg.example", "1.2.0"))).toEqual({ local: false, dev: true, prod: false });
  });

  test("an older version's image is not the current one; no version or no engine means unknown", () => {
    expect(stagesIn({ tags: null, local: null }, "/a/orders", dir("reg.example", "1.2.0"))).toBeNull();
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", "1.1.1"))).toEqual({ local: false, dev: false, prod: false });
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", null))).toBeNull();
  });
});

describe("engineImagesOf: a few dirs asked for by name", () => {
  const root = "/a/orders";
  const dir = { path: "apps/app", image: "app", registry: "reg.example", version: "1.2.0" };
  const localName = (registry: string | null) => versioned(imageRef({ registry, image: "app", stage: "local", version: "1.2.0", key: workspaceKey(root) }));
  const labels = { [LABEL.workspace]: root, [LABEL.runnableDir]: "apps/app", [LABEL.stage]: "local", [LABEL.version]: "1.2.0" };
  // The listing's answer is cached per user (XDG_CACHE_HOME): each test gets its own.
  let cache = "";
  const saved = process.env.XDG_CACHE_HOME;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), "dt-local-stages-"));
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  test("the exact local name with this workspace's labels, and a dev tag: known without listing the engine's images", async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: [localName("reg.example")], labels });
    engine.addImage({ tags: ["reg.example/app:dev-1.2.0"] });
    const images = await engineImagesOf(engine, root, [dir]);
    expect(stagesIn(images, root, dir)).toEqual({ local: true, dev: true, prod: false });
    expect(engine.callsTo("listImages")).toEqual([]);
  });

  test("a local image under an earlier registry's name is still found, by its labels (one listing of this workspace's)", async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: [localName(null)], labels });
    const images = await engineImagesOf(engine, root, [dir]);
    expect(stagesIn(images, root, dir)).toEqual({ local: true, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(1);
  });

  test("a dir never built: the listing that says so is kept while the engine's image count stays, and made again once it moves", async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: ["busybox:latest"] });
    engine.advance(5);
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: false, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(1);
    // The next `dt ls`: same count, no listing, same answer.
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: false, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(1);
    // Built meanwhile under an earlier registry's name: the count moved, so it is listed and found.
    engine.addImage({ tags: [localName(null)], labels });
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: true, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(2);
  });

  test("an image made and another removed between two runs (the count as it was): the engine's image events say so, and it is listed again", async () => {
    const engine = new FakeEngine();
    const other = engine.addImage({ tags: ["busybox:latest"] });
    const built = engine.addImage({ tags: [localName(null)], labels });
    engine.advance(5);
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: true, dev: false, prod: false });
    engine.advance(5);
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: true, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(1);
    // `docker rmi` of this dir's image and a pull of something else: two images, as before.
    await engine.removeImage(built.Id);
    engine.addImage({ tags: ["alpine:latest"] });
    expect(engine.images.size).toBe(2);
    expect(other.tags.size).toBe(1);
    engine.advance(5);
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: false, dev: false, prod: false });
    expect(engine.callsTo("listImages").length).toBe(2);
  });

  test("the exact name on another workspace's image is not this one's", async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: [localName("reg.example")], labels: { ...labels, [LABEL.workspace]: "/b/orders" } });
    expect(stagesIn(await engineImagesOf(engine, root, [dir]), root, dir)).toEqual({ local: false, dev: false, prod: false });
  });

  test("names asked early are not asked again", async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: [localName("reg.example")], labels });
    const asked = askEarly(engine, root, [dir]);
    expect(engine.callsTo("inspectImage").length).toBe(3);
    expect(stagesIn(await engineImagesOf(engine, root, [dir], { asked }), root, dir)).toEqual({ local: true, dev: false, prod: false });
    expect(engine.callsTo("inspectImage").length).toBe(3);
  });

  test("an engine that cannot be asked makes the stages unknown, with why", async () => {
    const engine = new FakeEngine();
    engine.stop();
    const images = await engineImagesOf(engine, root, [dir]);
    expect(stagesIn(images, root, dir)).toBeNull();
    expect(images.engineProblem).toContain("ECONNREFUSED");
  });
});

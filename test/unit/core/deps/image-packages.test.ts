// The package listing of an image against the fake engine: taken once in a container, recorded
// under the image's id, read back without a container; foreign-platform images are left out.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { packagesFile, packagesOf, recordAfterBuild } from "../../../../src/core/deps/image-packages.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const LISTING = JSON.stringify({ python: "3.11.2", packages: [{ name: "pytest", version: "7.2.1" }] });

describe("image package listings", () => {
  test("taken once in a container without network, recorded by image id, then read without one", async () => {
    const engine = new FakeEngine();
    const root = testdir().path;
    const image = engine.addImage({ tags: ["app:local"] });
    engine.onRun({ image: image.Id }, { stdout: ["entrypoint noise", LISTING] });
    const first = await packagesOf(engine, { root, dir: "." }, image.Id);
    expect(first.taken).toBe(true);
    expect(first.listing.packages).toEqual([{ name: "pytest", version: "7.2.1" }]);
    expect(existsSync(packagesFile(root, image.Id))).toBe(true);
    const run = [...engine.containers.values()][0]!;
    expect(run.config.HostConfig.NetworkMode).toBe("none");
    expect(run.config.HostConfig.Binds).toEqual([]);

    const again = await packagesOf(engine, { root, dir: "." }, image.Id);
    expect(again.taken).toBe(false);
    expect(again.listing).toEqual(first.listing);
    expect(engine.containers.size).toBe(1);
  });

  test("an image without python is exit 1 saying so; a foreign-platform image is not listed after its build", async () => {
    const engine = new FakeEngine();
    const root = testdir().path;
    const bare = engine.addImage({ tags: ["bare:1"] });
    engine.onRun({ image: bare.Id }, { exitCode: 97 });
    const e = await dtRejectionOf(packagesOf(engine, { root, dir: "." }, bare.Id));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("no python3");

    const foreign = engine.addImage({ tags: ["app:arm"], arch: process.arch === "arm64" ? "amd64" : "arm64" });
    await recordAfterBuild(engine, { root, dir: "." }, foreign.Id);
    expect(existsSync(packagesFile(root, foreign.Id))).toBe(false);
    expect([...engine.containers.values()].filter((c) => c.config.Image === foreign.Id)).toEqual([]);
  });
});

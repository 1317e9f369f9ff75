// builders: of dt.yaml against fake engines: which engine builds which platform, the check of a
// builder before anything is built, and the errors that name it. The same on real engines (a
// second dockerd standing in for the builder, a silent one on tcp://): test/e2e/builders.test.ts.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { hostPlatform } from "../../../../src/core/base/platform.ts";
import { buildForPlatforms, type PlatformBuildEvent } from "../../../../src/core/build/build-platforms.ts";
import { builderHosts, RELAX_ARCH_ENV } from "../../../../src/core/build/builders.ts";
import type { BuildBody, BuildQuery, Engine } from "../../../../src/core/engine/engine.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { runnableTarget } from "../../../support/fake-target.ts";
import { useEmptyRegistry } from "../../../support/empty-registry.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

const native = hostPlatform();
const nativeArch = native.split("/")[1]!;
const foreignArch = nativeArch === "amd64" ? "arm64" : "amd64";
const foreign = `linux/${foreignArch}`;
const BUILDER = "tcp://arm-builder.example:2376";
const BASE = "python:3.12-slim";

const registry = useEmptyRegistry();
const { asked } = registry;
afterAll(cleanupAll);
afterEach(() => {
  delete process.env[RELAX_ARCH_ENV];
  asked.length = 0;
});

/** The host's engine and a builder of the other architecture, each with the base image of its own. */
function engines(builderArch = foreignArch) {
  const local = new FakeEngine();
  const builder = new FakeEngine({ host: BUILDER, arch: builderArch });
  local.addImage({ tags: [BASE] });
  builder.addImage({ tags: [BASE] });
  const connected: string[] = [];
  const connect = async (host: string): Promise<Engine> => {
    connected.push(host);
    if (host !== BUILDER) throw new Error(`no engine at ${host}`);
    return builder;
  };
  return { local, builder, connect, connected };
}

const withBuilder = (extra = "") => runnableTarget(`name: app\n${extra}builders:\n  ${foreign}: ${BUILDER}\n`);

describe("builderHosts", () => {
  test("a platform goes to its builder unless that is the local engine, or it is the host's own and must run here", () => {
    const builders = { [foreign]: BUILDER, [native]: "ssh://ci@big-box", "linux/s390x": "unix:///var/run/docker.sock" };
    const platforms = [native, foreign, "linux/s390x", "linux/ppc64le"];
    const where = (nativeOnLocal: boolean) => Object.fromEntries(builderHosts(platforms, builders, "unix:///var/run/docker.sock", { native, nativeOnLocal }));
    expect(where(false)).toEqual({ [native]: "ssh://ci@big-box", [foreign]: BUILDER, "linux/s390x": null, "linux/ppc64le": null });
    expect(where(true)).toEqual({ [native]: null, [foreign]: BUILDER, "linux/s390x": null, "linux/ppc64le": null });
  });
});

describe("buildForPlatforms with builders", () => {
  // e2e: builders.test.ts "a two-platform release built on two engines ..."
  test("each platform builds on its own engine, both at once, from the same context and build args; the builder keeps its image", async () => {
    const { local, builder, connect } = engines();
    const { target } = withBuilder();
    // Each build waits until the other engine's has started: built one after the other, they never would.
    const started = { local: Promise.withResolvers<void>(), builder: Promise.withResolvers<void>() };
    const gate = (engine: FakeEngine, mine: keyof typeof started, other: keyof typeof started) => {
      const build = engine.build.bind(engine);
      engine.build = async (body: BuildBody, query: BuildQuery) => {
        started[mine].resolve();
        const timeout = Bun.sleep(2000).then(() => Promise.reject(new Error(`the ${other} build never started while the ${mine} one ran`)));
        await Promise.race([started[other].promise, timeout]);
        return build(body, query);
      };
    };
    gate(local, "local", "builder");
    gate(builder, "builder", "local");

    const events: PlatformBuildEvent[] = [];
    const result = await buildForPlatforms(local, target, { stage: "local", platforms: [native, foreign], connect }, (e) => events.push(e));

    expect([local.builds.length, builder.builds.length]).toEqual([1, 1]);
    expect([local.builds[0]!.query.platform, builder.builds[0]!.query.platform]).toEqual([native, foreign]);
    // The same files and the same ARGs went to both engines, BASE_IMAGE naming each one's own platform of the base.
    expect(builder.builds[0]!.bytes).toBe(local.builds[0]!.bytes);
    const args = (f: FakeEngine) => f.builds[0]!.query.buildargs as Record<string, string>;
    expect({ ...args(builder), BASE_IMAGE: "" }).toEqual({ ...args(local), BASE_IMAGE: "" });
    expect([args(local).BASE_IMAGE, args(builder).BASE_IMAGE]).toEqual([`dt-base/python-3.12-slim:linux-${nativeArch}`, `dt-base/python-3.12-slim:linux-${foreignArch}`]);
    expect(result.platforms.map((p) => [p.platform, p.engine, p.builder])).toEqual([
      [native, local.host, false],
      [foreign, BUILDER, true],
    ]);
    const foreignImage = result.platforms[1]!.image;
    expect(foreignImage).toEndWith(`-linux-${foreignArch}`);
    expect(builder.image(foreignImage)?.Architecture).toBe(foreignArch);
    expect(local.image(foreignImage)).toBeUndefined();
    expect(local.image(result.platforms[0]!.image)).toBeDefined();
  });

  // e2e: builders.test.ts "a builder that fails its build ..."
  test("a builder whose build fails fails the whole build, naming builder and platform; nothing is pushed", async () => {
    const { local, builder, connect } = engines();
    const { target } = withBuilder(`registry: 127.0.0.1:${registry.port()}/team\n`);
    builder.buildFailure = { step: 3, message: "The command '/bin/sh -c install.sh' returned a non-zero code: 7" };
    const e = await dtRejectionOf(buildForPlatforms(local, target, { stage: "local", platforms: [native, foreign], push: true, connect }));
    expect(e.exitCode).toBe(1);
    expect(e.message).toStartWith(`${foreign} on the builder ${BUILDER}: building `);
    expect(e.message).toContain("returned a non-zero code: 7");
    expect([...local.callsTo("push"), ...builder.callsTo("push")]).toEqual([]);
    expect(asked).toEqual([]);
  });

  test("a builder that is down is exit 3 naming it and its platform, before any engine builds", async () => {
    const { local, builder, connect } = engines();
    const { target } = withBuilder();
    builder.stop();
    const e = await dtRejectionOf(buildForPlatforms(local, target, { stage: "local", platforms: [native, foreign], connect }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`the builder of ${foreign} at ${BUILDER} is not reachable (ECONNREFUSED)`);
    expect(e.hint).toContain(`builders.${foreign}`);
    expect(e.message).not.toContain("fake/docker.sock");
    expect(local.callsTo("build")).toEqual([]);
  });

  test(`a builder of another architecture is exit 3, unless ${RELAX_ARCH_ENV}=1 (dt's own tests)`, async () => {
    const { local, builder, connect } = engines(nativeArch);
    const { target } = withBuilder();
    const e = await dtRejectionOf(buildForPlatforms(local, target, { stage: "local", platforms: [native, foreign], connect }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`the builder of ${foreign} at ${BUILDER} is a ${native} engine, not ${foreign}`);
    expect(local.callsTo("build")).toEqual([]);

    process.env[RELAX_ARCH_ENV] = "1";
    // As the test bed's second engine does: another arch's base, run through QEMU.
    builder.addImage({ tags: [BASE], arch: foreignArch });
    const relaxed = await buildForPlatforms(local, target, { stage: "local", platforms: [native, foreign], connect });
    expect(relaxed.platforms[1]!.engine).toBe(BUILDER);
    expect(builder.builds.length).toBe(1);
  });

  test("the plain build (no --platform, no --push) makes the host's image here, whatever builders: names for it", async () => {
    const { local, builder, connect, connected } = engines(nativeArch);
    const { target } = runnableTarget(`name: app\nbuilders:\n  ${native}: ${BUILDER}\n`);
    const plain = await buildForPlatforms(local, target, { stage: "local", connect });
    expect(plain.platforms.map((p) => [p.platform, p.engine])).toEqual([[native, local.host]]);
    expect(connected).toEqual([]);
    // Named explicitly, the host's platform is built where dt.yaml says.
    const named = await buildForPlatforms(local, target, { stage: "local", platforms: [native], connect });
    expect(named.platforms.map((p) => [p.platform, p.engine])).toEqual([[native, BUILDER]]);
    expect([local.builds.length, builder.builds.length]).toEqual([1, 1]);
  });
});

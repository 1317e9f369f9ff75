// Pulls and pushes of a stage against the fake engine: the engine reports a failed transfer as
// the last line of a 200 response, and dt must turn that line into an error with a fix. No
// registry is contacted (the engine does the transfer), so the registry named is a loopback
// address nothing listens on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pullForRun, pullStage, pushStage } from "../../../../src/core/registry/stage-ops.ts";
import { resolveRunImage } from "../../../../src/core/run/run-in-container.ts";
import { LABEL } from "../../../../src/core/workspace/image-ref.ts";
import { engineError } from "../../../../src/core/engine/engine-errors.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { runnableTarget } from "../../../support/fake-target.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

const REGISTRY = "127.0.0.1:9";
const dtYaml = `name: app\nregistry: ${REGISTRY}/team\n`;

// Credentials are looked up before every transfer: an empty Docker config, not the developer's.
const savedDockerConfig = process.env.DOCKER_CONFIG;
beforeAll(() => {
  process.env.DOCKER_CONFIG = testdir().path;
});
afterAll(() => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
  cleanupAll();
});

describe("pull", () => {
  // No e2e test pulls a missing image through dt (release.test.ts pulls one that exists).
  test("an image the registry does not have is exit 3 with what to check", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    const e = await dtRejectionOf(pullStage(engine, target, { stage: "dev" }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`the registry ${REGISTRY} has no such image`);
    expect(e.message).toContain("manifest unknown");
    expect(e.hint).toContain("dt docker release dev");
    expect(engine.callsTo("pull")[0]?.[0]).toBe(`${REGISTRY}/team/app:dev`);
    expect(engine.images.size).toBe(0);
  });

  // e2e: release.test.ts "credentials (htpasswd registry): without credentials: exit 3 and a login hint ..."
  // (a push there; the same error line read the same way)
  test("a registry refusing the credentials is exit 3 with the docker login hint", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    engine.pullError = `Head "http://${REGISTRY}/v2/team/app/manifests/dev": no basic auth credentials`;
    const e = await dtRejectionOf(pullForRun(engine, target, "dev", "dev"));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`registry ${REGISTRY} refused pulling`);
    expect(e.hint).toContain(`docker login ${REGISTRY}`);
  });

  // e2e: release.test.ts "dt docker pull of a missing dev image, and cmd --stage dev pulls it by itself"
  test("a run of an absent dev image pulls the code's exact version first, with progress, and runs what was pulled", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    engine.remote.set(`${REGISTRY}/team/app:dev-0.1.0`, { Id: `sha256:${"d".repeat(64)}`, labels: { [LABEL.version]: "0.1.0" } });
    const steps: string[] = [];
    const chosen = await resolveRunImage(engine, target, { stage: "dev" }, (text) => steps.push(text));
    expect(steps).toEqual([`pull ${REGISTRY}/team/app:dev-0.1.0`]);
    expect(chosen.name).toBe(`${REGISTRY}/team/app:dev-0.1.0`);
    expect(chosen.info?.Id).toBe(`sha256:${"d".repeat(64)}`);
  });

  test("when the exact version is not released, the floating tag is pulled and used if version_policy allows it", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    engine.remote.set(`${REGISTRY}/team/app:dev`, { Id: `sha256:${"d".repeat(64)}`, labels: { [LABEL.version]: "0.1.0" } });
    const steps: string[] = [];
    const chosen = await resolveRunImage(engine, target, { stage: "dev" }, (text) => steps.push(text));
    expect(steps).toEqual([`pull ${REGISTRY}/team/app:dev-0.1.0`, `pull ${REGISTRY}/team/app:dev`]);
    expect(chosen.info?.Id).toBe(`sha256:${"d".repeat(64)}`);
    expect(chosen.info?.RepoDigests?.[0]).toStartWith(`${REGISTRY}/team/app@sha256:`);
  });

  // e2e: identity.test.ts "dt docker cmd --stage prod with no prod release: exit 3 ..."
  test("an engine that answers 404 to the pull itself (no error line) is a missing release: exit 3 with the release that makes it", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    engine.pull = async (reference: string) => {
      throw engineError(Object.assign(new Error(`(HTTP code 404) unexpected - manifest for ${reference} not found: manifest unknown`), { statusCode: 404 }), `pulling ${reference}`);
    };
    const e = await dtRejectionOf(resolveRunImage(engine, target, { stage: "prod" }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`the root dir has no prod release in the registry: ${REGISTRY}/team/app:prod-0.1.0 and ${REGISTRY}/team/app:prod do not exist`);
    expect(e.hint).toBe("dt docker release prod");
    const pulled = await dtRejectionOf(pullStage(engine, target, { stage: "prod" }));
    expect(pulled.exitCode).toBe(3);
    expect(pulled.message).toContain("has no such image (unexpected - manifest for");
    expect(pulled.hint).toStartWith("dt docker release prod");
  });

  // e2e: test/e2e/registry-failures.test.ts › no registry configured › dt docker cmd --stage dev of an absent dev image (with and without --pull) never asks the engine to pull: exit 3, the image missing on this engine
  test("without a registry a run does not try to pull", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget();
    expect(await pullForRun(engine, target, "dev", "dev")).toBe(false);
    expect(engine.callsTo("pull")).toEqual([]);
  });
});

describe("push", () => {
  // e2e: test/e2e/registry-failures.test.ts › dt docker push › of a stage never built on this engine: exit 3 with the command that builds it, and the registry gets no tag
  test("a stage not built on this engine is exit 3 with the command that builds it; nothing is pushed", async () => {
    const engine = new FakeEngine();
    const { target } = runnableTarget(dtYaml);
    const e = await dtRejectionOf(pushStage(engine, target, { stage: "prod" }));
    expect(e.exitCode).toBe(3);
    expect(e.hint).toBe("dt docker build --stage prod");
    expect(engine.callsTo("push")).toEqual([]);
  });
});

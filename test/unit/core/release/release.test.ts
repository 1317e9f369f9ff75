// release against the fake engine. Before it builds, a release asks each registry whether the
// version is out already (a manifest GET, then the labels of what is there), so a registry must
// answer: a stand-in on 127.0.0.1 that has nothing and records what it was asked, which also shows
// that a failed release never wrote to the registry.
import { afterAll, describe, expect, test } from "bun:test";
import type { ContainerConfig } from "../../../../src/core/engine/engine.ts";
import { release } from "../../../../src/core/release/release.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { runnableTarget } from "../../../support/fake-target.ts";
import { useEmptyRegistry } from "../../../support/empty-registry.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

const registry = useEmptyRegistry();
const { asked } = registry;
afterAll(cleanupAll);

describe("release", () => {
  // e2e: release.test.ts "a failing test in the local image stops release dev with exit 1 and nothing pushed"
  test("a failing suite stops release dev with exit 1: no stage tag, no push, nothing written to the registry", async () => {
    asked.length = 0;
    const engine = new FakeEngine();
    const host = `127.0.0.1:${registry.port()}`;
    const { target, ws } = runnableTarget(`name: app\nregistry: ${host}/team\n`);
    engine.onRun({ command: "pytest" }, { exitCode: 1, stdout: ["FAILED tests/test_app.py::test_broken"] });
    const events: string[] = [];

    const e = await dtRejectionOf(release(engine, target, ws, { stage: "dev", suites: ["fast"] }, (ev) => "text" in ev && events.push(`${ev.kind} ${ev.text}`)));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("the fast suite failed");
    expect(e.message).toContain("nothing was tagged or pushed");
    // The build ended as done; the suite started and never did.
    expect(events.map((ev) => ev.split(" ").slice(0, 2).join(" "))).toEqual(["step build", "done built", "step test:"]);
    expect(e.hint).toContain("--skip-tests");

    // The failure is the tests' own: the local image was built, and pytest ran in it.
    const local = target.ref("local");
    expect(engine.callsTo("build").length).toBe(1);
    const ran = engine.callsTo("createContainer").map(([c]) => c as ContainerConfig);
    expect(ran.map((c) => [c.Image, c.Cmd?.[2]])).toEqual([[`${local.repository}:${local.versionedTag}`, "pytest"]]);

    const dev = target.ref("dev");
    expect(engine.callsTo("tagImage").filter(([, , tag]) => tag === dev.versionedTag || tag === dev.floatingTag)).toEqual([]);
    expect(engine.callsTo("push")).toEqual([]);
    // Asked twice whether dev-0.1.0 is out (before the build, and after it with the context
    // digest); never written to.
    expect(asked).toEqual([`GET /v2/team/app/manifests/${dev.versionedTag}`, `GET /v2/team/app/manifests/${dev.versionedTag}`]);
  });

  // No e2e test makes a push fail after the tests passed (the registries of the bed accept pushes).
  test("a push that fails after the tests passed leaves no stage tag on the engine: no dev, no dev-X.Y.Z", async () => {
    const engine = new FakeEngine();
    const { target, ws } = runnableTarget(`name: app\nregistry: 127.0.0.1:${registry.port()}/team\n`);
    engine.pushError = "received unexpected HTTP status: 500 Internal Server Error";
    const e = await dtRejectionOf(release(engine, target, ws, { stage: "dev", skipTests: true }));
    expect(e.message).toContain("500 Internal Server Error");
    const dev = target.ref("dev");
    expect(engine.callsTo("tagImage").filter(([, , tag]) => tag === dev.floatingTag)).toEqual([]);
    expect(engine.callsTo("removeImage")).toEqual([[`${dev.repository}:${dev.versionedTag}`]]);
    expect(await engine.inspectImage(`${dev.repository}:${dev.versionedTag}`)).toBeUndefined();
    expect(await engine.inspectImage(`${dev.repository}:${dev.floatingTag}`)).toBeUndefined();
  });

  // e2e: release.test.ts "--dry-run prints the plan and changes nothing"
  test("--dry-run gives the plan without a call to the engine or the registry", async () => {
    asked.length = 0;
    const engine = new FakeEngine();
    const { target, ws } = runnableTarget(`name: app\nregistry: 127.0.0.1:${registry.port()}/team\n`);
    const result = await release(engine, target, ws, { stage: "dev", dryRun: true });
    expect(result.plan).toHaveLength(3);
    expect(result.plan[1]).toContain("run the suites fast, slow");
    expect(result.plan[2]).toContain(`tag and push 127.0.0.1:${registry.port()}/team/app:dev-0.1.0 and :dev`);
    expect(engine.calls).toEqual([]);
    expect(asked).toEqual([]);
  });
});

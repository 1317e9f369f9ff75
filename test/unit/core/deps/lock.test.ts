// lockDeps against the fake engine: which image poetry runs in, and that a failure of any kind
// leaves the dir's poetry.lock as it was. A real resolution: test/e2e/deps.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lockDeps } from "../../../../src/core/deps/lock.ts";
import { versioned } from "../../../../src/core/workspace/image-ref.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";
import { localLabels, runnableTarget } from "../../../support/fake-target.ts";
import { cleanupAll } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const PYPROJECT = '[tool.poetry]\nname = "app"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2.0"\n';
const LOCK = '[[package]]\nname = "requests"\nversion = "2.31.0"\n\n[metadata]\ncontent-hash = "abc"\n';

function project(files: Record<string, string> = { "pyproject.toml": PYPROJECT, "poetry.lock": LOCK }) {
  const engine = new FakeEngine();
  const { root, target } = runnableTarget("name: app\n", files);
  return { engine, root, target };
}

describe("lockDeps", () => {
  test("a resolution conflict is exit 1 with poetry's own words, the lock untouched and no copy left", async () => {
    const { engine, root, target } = project();
    engine.addImage({ tags: [versioned(target.ref("local"))], labels: localLabels(target) });
    engine.onRun({ command: "poetry" }, { exitCode: 1, stdout: ["Resolving dependencies...", "Because app depends on requests (^9) which doesn't match any versions, version solving failed."] });
    const e = await dtRejectionOf(lockDeps(engine, target, [], { command: { kind: "lock" } }));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("version solving failed");
    expect(e.hint).toContain("poetry.lock was left as it was");
    expect(readFileSync(join(root, "poetry.lock"), "utf8")).toBe(LOCK);
    expect(readdirSync(join(root, ".dt", "tmp"))).toEqual([]);
  });

  test("an image without poetry is exit 3 with the fix", async () => {
    const { engine, target } = project();
    engine.addImage({ tags: [versioned(target.ref("local"))], labels: localLabels(target) });
    engine.onRun({ command: "poetry" }, { exitCode: 97 });
    const e = await dtRejectionOf(lockDeps(engine, target, [], { command: { kind: "lock" } }));
    expect(e.exitCode).toBe(3);
    expect(e.hint).toContain("python3-poetry");
  });

  test("without an image of the code's version, the newest local image of any version is used, and said", async () => {
    const { engine, target } = project();
    const older = engine.addImage({ tags: [versioned(target.ref("local", "0.0.1"))], labels: localLabels(target, "0.0.1") });
    engine.onRun({ command: "poetry" }, { exitCode: 1, stdout: ["no"] });
    const notices: string[] = [];
    await dtRejectionOf(lockDeps(engine, target, [], { command: { kind: "update", packages: ["requests"] }, onNotice: (t) => notices.push(t) }));
    const run = [...engine.containers.values()][0]!;
    expect(engine.image(run.config.Image)?.Id).toBe(older.Id);
    expect(run.config.Cmd).toContain("update");
    expect(run.config.Cmd).toContain("requests");
    expect(notices.join("\n")).toContain("newest local image");
  });

  test("no local image at all is exit 3 naming dt docker build; no pyproject.toml or a path dependency is exit 2 before any container", async () => {
    const none = project();
    const e = await dtRejectionOf(lockDeps(none.engine, none.target, [], { command: { kind: "lock" } }));
    expect(e.exitCode).toBe(3);
    expect(e.hint).toContain("dt docker build");

    const bare = project({});
    expect((await dtRejectionOf(lockDeps(bare.engine, bare.target, [], { command: { kind: "lock" } }))).exitCode).toBe(2);
    expect(existsSync(join(bare.root, "poetry.lock"))).toBe(false);

    const withPath = project({ "pyproject.toml": `${PYPROJECT}mylib = { path = "../mylib" }\n` });
    withPath.engine.addImage({ tags: [versioned(withPath.target.ref("local"))], labels: localLabels(withPath.target) });
    const p = await dtRejectionOf(lockDeps(withPath.engine, withPath.target, [], { command: { kind: "lock" } }));
    expect(p.exitCode).toBe(2);
    expect(p.message).toContain("mylib is a path dependency");
    expect(withPath.engine.containers.size).toBe(0);
  });
});

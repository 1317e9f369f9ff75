// dt deps on the real engine against a real package index: tiny wheels built with Debian's
// python3-build, served on 127.0.0.1 by the test itself; poetry (Debian's 1.3.2, in the bed's
// poetrybase image) reaches it over the host network. PyPI is never asked: the project's only
// source is the test index, marked default.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lockIsFresh, readPythonProject } from "../../src/core/build/poetry-lock.ts";
import { lockedPackages } from "../../src/core/deps/lock.ts";
import { docker, dtContainersOf, removeImages } from "../support/docker.ts";
import { dt, dtJson, type DtResult } from "../support/dt.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { startPyIndex, type PyIndex } from "../support/py-index.ts";
import { testbed } from "../support/testbed.ts";

// Builds and poetry runs take tens of seconds on a busy 2-core machine.
setDefaultTimeout(300_000);

const tb = testbed();
const env = { USER: "dttest" };
const suffix = Math.random().toString(36).slice(2, 8);
const repo = `dtdeps-${suffix}`;
const long = { env, timeoutMs: 280_000 };
let index: PyIndex | undefined;
let root = "";
let app = "";

const pyproject = (url: string, extra = "") =>
  [
    "[tool.poetry]",
    'name = "app"',
    'version = "0.1.0"',
    'description = ""',
    'authors = ["dt <dt@example.com>"]',
    "",
    "[tool.poetry.dependencies]",
    'python = "^3.11"',
    'dtdemo-beta = "^1.0"',
    extra,
    "",
    "[[tool.poetry.source]]",
    'name = "testindex"',
    `url = "${url}"`,
    "default = true",
    "",
  ].join("\n");

const lockOf = () => Object.fromEntries(lockedPackages(readFileSync(join(app, "poetry.lock"), "utf8"), "poetry.lock"));

beforeAll(async () => {
  index = await startPyIndex();
  // 0.9.0 is there for the conflict: a version that exists but that beta does not accept.
  await index.publish(
    { name: "dtdemo-alpha", version: "0.9.0" },
    { name: "dtdemo-alpha", version: "1.0.0" },
    { name: "dtdemo-beta", version: "1.0.0", requires: ["dtdemo-alpha>=1.0"] },
  );
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: deps\nbase_image: ${tb.images.poetrybase}\n`,
    ".gitignore": ".dt/\n",
    "app/changelog.txt": "# app-1.0.0\n- 2026-11-20\n- First\n",
    "app/dt.yaml": `image: ${repo}-app\n`,
    "app/devops/.keep": "",
    "app/pyproject.toml": pyproject(index.url),
    "nopy/changelog.txt": "# nopy-1.0.0\n- 2026-11-20\n- First\n",
    "nopy/dt.yaml": `image: ${repo}-nopy\n`,
    "nopy/devops/.keep": "",
    "nopoetry/changelog.txt": "# nopoetry-1.0.0\n- 2026-11-20\n- First\n",
    "nopoetry/dt.yaml": `image: ${repo}-nopoetry\nbase_image: ${tb.images.pybase}\n`,
    "nopoetry/devops/.keep": "",
  });
  app = join(root, "app");
}, 300_000);

afterAll(async () => {
  await index?.stop();
  await removeImages([`${repo}-app`, `${repo}-nopy`, `${repo}-nopoetry`]);
  cleanupAll();
});

/** Containers created for this workspace between `since` and now (Engine API events). */
async function containersCreatedSince(since: number): Promise<number> {
  const stream = await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ["container"], event: ["create"], label: [`dev.dt.workspace=${root}`] },
  });
  let text = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  return text.split("\n").filter((l) => l.trim()).length;
}

// Each test runs alone too (`-t NAME`) and in any order: the ones that need a locked or an
// updated dir call locked() or updated(), which do it once for the file and keep what dt said
// then; tests that edit pyproject.toml put it back in `finally`.
let lockRun: Promise<{ build: DtResult; lock: DtResult; packages: Record<string, string>; fresh: boolean | undefined }> | undefined;
const locked = () =>
  (lockRun ??= (async () => {
    // No lock yet: the image's install.sh lets poetry resolve and install in the build.
    const build = await dt(["docker", "build", "--network", "host"], { cwd: app, ...long });
    const lock = build.code === 0 ? await dt(["deps", "lock", "--network", "host"], { cwd: app, ...long }) : build;
    return { build, lock, packages: lockOf(), fresh: lockIsFresh(readPythonProject(app, "app")) };
  })());

let updateRun: Promise<{ kept: DtResult; keptAlpha: string | undefined; update: DtResult; packages: Record<string, string>; changelog: string; rebuild: DtResult }> | undefined;
const updated = () =>
  (updateRun ??= (async () => {
    expect((await locked()).lock.code).toBe(0);
    await index!.publish({ name: "dtdemo-alpha", version: "1.1.0" });
    const kept = await dt(["deps", "lock", "--network", "host"], { cwd: app, ...long });
    const keptAlpha = lockOf()["dtdemo-alpha"];
    const update = await dt(["deps", "update", "--network", "host", "--bump", "patch", "-m", "Update dtdemo-alpha"], { cwd: app, ...long });
    const packages = lockOf();
    const changelog = readFileSync(join(app, "changelog.txt"), "utf8");
    const rebuild = await dt(["docker", "build", "--network", "host"], { cwd: app, ...long });
    return { kept, keptAlpha, update, packages, changelog, rebuild };
  })());

/** Runs `body` with app/pyproject.toml requiring `extra` too, then puts the file back. */
async function withRequirement<T>(extra: string, body: () => Promise<T>): Promise<T> {
  const original = readFileSync(join(app, "pyproject.toml"), "utf8");
  writeFileSync(join(app, "pyproject.toml"), pyproject(index!.url, extra));
  try {
    return await body();
  } finally {
    writeFileSync(join(app, "pyproject.toml"), original);
  }
}

describe("dt deps", () => {
  test("lock in a dir without pyproject.toml is exit 2 and writes nothing", async () => {
    const r = await dt(["deps", "lock", "--dir", "nopy"], { cwd: root, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nopy/pyproject.toml does not exist");
    expect(readdirSync(join(root, "nopy")).sort()).toEqual(["changelog.txt", "devops", "dt.yaml"]);
  });

  test("lock resolves in the local image and writes poetry.lock with the expected versions", async () => {
    const { build, lock, packages, fresh } = await locked();
    expect(build.code).toBe(0);
    expect(lock.code).toBe(0);
    expect(lock.stdout).toBe("dtdemo-alpha: added (1.0.0)\ndtdemo-beta: added (1.0.0)\n");
    expect(lock.stderr).toContain("is now stale");
    expect(packages).toEqual({ "dtdemo-alpha": "1.0.0", "dtdemo-beta": "1.0.0" });
    // The hash dt computes in TypeScript agrees with the one poetry wrote.
    expect(fresh).toBe(true);
    // Nothing left behind: no container, no copy of the project.
    expect(await dtContainersOf(root)).toEqual([]);
    expect(readdirSync(join(root, ".dt", "tmp"))).toEqual([]);
  });

  test("show --json lists the image's packages, pytest of the base among them, without starting a container", async () => {
    expect((await locked()).build.code).toBe(0);
    const since = Math.floor(Date.now() / 1000);
    const { result, json } = await dtJson(["deps", "show", "--json"], { cwd: app, env });
    expect(result.code).toBe(0);
    const versions = Object.fromEntries(json.packages.map((p: { name: string; version: string }) => [p.name, p.version]));
    expect(versions.pytest).toMatch(/^\d+\./);
    expect(versions["dtdemo-beta"]).toBe("1.0.0");
    expect(json.python).toMatch(/^3\.11\./);
    expect(await containersCreatedSince(since)).toBe(0);
  });

  test("after a newer version is published, lock keeps the pin and update moves it, printing the change and bumping the changelog", async () => {
    const { kept, keptAlpha, update, packages, changelog } = await updated();
    expect(kept.code).toBe(0);
    expect(kept.stdout).toBe("");
    expect(kept.stderr).toContain("up to date, nothing moved");
    expect(keptAlpha).toBe("1.0.0");
    expect(update.code).toBe(0);
    expect(update.stdout).toBe("dtdemo-alpha: 1.0.0 -> 1.1.0\n");
    expect(update.stderr).toContain("is now stale");
    expect(packages).toEqual({ "dtdemo-alpha": "1.1.0", "dtdemo-beta": "1.0.0" });
    expect(changelog).toStartWith("# app-1.0.1\n");
    expect(changelog).toContain("- Update dtdemo-alpha\n");
  });

  test("diff of the images built before and after the update shows what moved", async () => {
    expect((await updated()).rebuild.code).toBe(0);
    const r = await dt(["deps", "diff", "local-1.0.0", "local"], { cwd: app, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("dtdemo-alpha: 1.0.0 -> 1.1.0\n");
    const { json } = await dtJson(["deps", "diff", "local-1.0.0", "local", "--json"], { cwd: app, env });
    expect(json.changed).toEqual([{ name: "dtdemo-alpha", from: "1.0.0", to: "1.1.0" }]);
    expect(json.added).toEqual([]);
    expect(json.removed).toEqual([]);
  });

  test("a conflicting requirement shows poetry's message, exits 1 and leaves the lock byte for byte", async () => {
    expect((await locked()).lock.code).toBe(0);
    const lock = readFileSync(join(app, "poetry.lock"));
    const r = await withRequirement('dtdemo-alpha = "<1.0"', () => dt(["deps", "lock", "--network", "host"], { cwd: app, ...long }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("version solving failed");
    expect(r.stderr).toContain("dtdemo-alpha");
    expect(readFileSync(join(app, "poetry.lock")).equals(lock)).toBe(true);
  });

  test("a stale lock fails dt docker build before its first step, with dt deps lock as the fix", async () => {
    expect((await locked()).lock.code).toBe(0);
    const images = async () => (await docker.listImages({ filters: { label: [`dev.dt.workspace=${root}`] } })).length;
    const before = await images();
    const r = await withRequirement('dtdemo-alpha = "^1.0"', () => dt(["docker", "build", "--network", "host"], { cwd: app, ...long }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("app/poetry.lock: stale");
    expect(r.stderr).toContain("dt deps lock");
    expect(r.stderr).not.toContain("sending the build context");
    expect(r.stderr).not.toContain("Step 1/");
    expect(await images()).toBe(before);
  });

  test("an image without poetry is exit 3 naming the fix", async () => {
    const dir = join(root, "nopoetry");
    // Built before the dir had a pyproject.toml, so the templates had no reason to add poetry.
    const build = await dt(["docker", "build"], { cwd: dir, ...long });
    expect(build.code).toBe(0);
    writeFileSync(join(dir, "pyproject.toml"), pyproject(index!.url));
    try {
      const r = await dt(["deps", "lock"], { cwd: dir, ...long });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("has no poetry");
      expect(r.stderr).toContain("python3-poetry");
      expect(readdirSync(dir)).not.toContain("poetry.lock");
    } finally {
      rmSync(join(dir, "pyproject.toml"));
    }
  });
});

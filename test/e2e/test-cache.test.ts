// The test-result cache (issue 21) on the real engine and the bed's htpasswd registry: what is
// served, what runs again, --explain, and results shared by two clones through the registry.
// The tests of one file share one workspace and run in order; each leaves it as it found it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseJunit } from "../../src/core/testing/junit.ts";
import { dt, dtJson, type DtResult } from "../support/dt.ts";
import { dtContainersOf, imageLabels, removeImages } from "../support/docker.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir, writeTree } from "../support/fixtures.ts";
import { localTag } from "../support/tags.ts";
import { testbed } from "../support/testbed.ts";

const tb = testbed();
const suffix = Math.random().toString(36).slice(2, 8);
// A repository of its own per run: its tags are deleted afterwards (the bed allows deletes).
const prefix = `${tb.authRegistry}/dtcache-${suffix}`;
const cacheRepo = `dtcache-${suffix}/dt-test-cache`;
const images = ["a", "b", "c"].map((n) => `${prefix}/dtc-${suffix}-${n}`);
const basic = `Basic ${Buffer.from(`${tb.auth.username}:${tb.auth.password}`).toString("base64")}`;

let tmp = "";
let one = "";
let env: Record<string, string> = {};
const outputs: DtResult[] = [];

function runnable(name: string, body: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`apps/${name}/changelog.txt`]: `# ${name}-1.0.0\n- 2026-11-20\n- First\n`,
    // No RUN step: a build is a COPY and labels, quick even on a loaded machine. The entrypoint
    // is dt's embedded one (it puts dt's pytest plugin on the path).
    [`apps/${name}/devops/docker_build/dev.Dockerfile`]: [
      "ARG BASE_IMAGE",
      "FROM ${BASE_IMAGE}",
      "COPY devops/docker_run/entrypoint.sh /opt/dt/entrypoint.sh",
      'ENTRYPOINT ["/opt/dt/entrypoint.sh"]',
      "",
    ].join("\n"),
    [`apps/${name}/dt.yaml`]: `image: dtc-${suffix}-${name}\n`,
    [`apps/${name}/pytest.ini`]: "[pytest]\nmarkers =\n    slow: slow\n    superslow: very slow\n",
    [`apps/${name}/tests/test_${name}.py`]: body,
    ...extra,
  };
}

const run = async (args: string[], cwd = one, extra: Record<string, string> = {}) => {
  const r = await dt(args, { cwd, env: { ...env, ...extra }, timeoutMs: 120_000 });
  outputs.push(r);
  return r;
};
/** The two passing dirs. apps/c fails, so it runs on every run: the first test shows it; the others leave it out and start fewer containers. */
const AB = ["--dir", "apps/a", "--dir", "apps/b"];
const runJson = async (args: string[], cwd = one, extra: Record<string, string> = {}) => {
  const { result, json } = await dtJson([...args, "--json"], { cwd, env: { ...env, ...extra }, timeoutMs: 120_000 });
  outputs.push(result);
  return { result, dirs: Object.fromEntries(json.dirs.map((d: any) => [d.dir, d])) as Record<string, any>, json };
};

beforeAll(async () => {
  tmp = testdir().path;
  const config = join(tmp, "docker-config");
  writeTree(config, { "config.json": JSON.stringify({ auths: { [tb.authRegistry]: { auth: basic.slice(6) } } }) });
  env = { USER: "dttest", DOCKER_CONFIG: config };
  const helpers = makeRepo(join(tmp, "helpers-up"), { "h.py": "H = 1\n" });
  one = makeRepo(join(tmp, "one"), {
    "dt.yaml": `name: dtc\nbase_image: ${tb.images.pybase}\nregistry: ${prefix}\nsetenv:\n  pythonpath: [pylib]\ntest:\n  cache: registry\n`,
    "pylib/util.py": "U = 1\n",
    ...runnable("a", "def test_a():\n    pass\n", { "apps/a/dt.yaml": `image: dtc-${suffix}-a\ntest:\n  depends_on: [helpers]\n` }),
    ...runnable("b", "def test_b():\n    pass\n"),
    ...runnable("c", "def test_c():\n    assert 1 == 2, 'meant to fail'\n"),
  });
  addSubmodule(one, helpers, "helpers");
  const build = await run(["docker", "build", "--all"]);
  expect(build.code).toBe(0);
}, 120_000);

afterAll(async () => {
  const auth = { Authorization: basic };
  const base = `http://${tb.authRegistry}/v2/${cacheRepo}`;
  const tags = ((await (await fetch(`${base}/tags/list`, { headers: auth })).json()) as { tags?: string[] | null }).tags ?? [];
  for (const tag of tags) {
    const head = await fetch(`${base}/manifests/${tag}`, { method: "HEAD", headers: { ...auth, Accept: "application/vnd.oci.image.manifest.v1+json" } });
    const digest = head.headers.get("docker-content-digest");
    if (digest) await fetch(`${base}/manifests/${digest}`, { method: "DELETE", headers: auth });
  }
  await removeImages(images);
  cleanupAll();
});

describe("dt test: the result cache", () => {
  test("the first run runs every dir; the second serves the passing dirs from the cache and runs the failing one", async () => {
    const first = await runJson(["test", "--all"]);
    expect(first.result.code).toBe(1);
    for (const d of ["apps/a", "apps/b", "apps/c"]) expect(first.dirs[d].cached).toBe(false);
    expect([first.dirs["apps/a"].status, first.dirs["apps/b"].status, first.dirs["apps/c"].status]).toEqual(["passed", "passed", "failed"]);

    const junit = join(tmp, "merged.xml");
    const summary = join(tmp, "summary.md");
    writeFileSync(summary, "");
    const second = await runJson(["test", "--all", "--junit", junit], one, { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary });
    expect(second.result.code).toBe(1);
    for (const d of ["apps/a", "apps/b"]) {
      expect(second.dirs[d]).toMatchObject({ cached: true, status: "passed", counts: first.dirs[d].counts, seconds: first.dirs[d].seconds });
      expect(Date.parse(second.dirs[d].cachedAt)).toBeLessThan(Date.now());
    }
    expect(second.dirs["apps/c"]).toMatchObject({ cached: false, status: "failed" });
    expect(second.json.cache).toEqual({ hits: 2, warnings: [] });
    // The merged JUnit replays the cached cases; annotations name only what ran.
    const cases = parseJunit(readFileSync(junit, "utf8")).flatMap((s) => s.cases.map((c) => c.name));
    expect(cases.sort()).toEqual(["test_a", "test_b", "test_c"]);
    expect(second.result.stderr).toMatch(/^::error file=apps\/c\/tests\/test_c\.py/m);
    expect(readFileSync(summary, "utf8")).toContain("| apps/a (cached) |");

    // No container at all: both dirs are served.
    const text = await run(["test", ...AB]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/apps\/a\s+\S+\s+local\s+1\s+0\s+0\s+\d+\.\ds\s+cached \d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(text.stdout).toContain("in 2 dirs (2 cached, ");
  });

  test("with test.cache: registry, a second clone with its own images is served from the first clone's results", async () => {
    const two = join(tmp, "two");
    git(tmp, ["clone", "-q", "--recurse-submodules", one, two]);
    for (const dir of ["apps/a", "apps/b"]) expect((await run(["docker", "build", "--dir", dir], two)).code).toBe(0);
    // Two builds of one commit: the context digests differ (each clone wrote its files at its
    // own time), the content digests agree, and the cache keys on the latter.
    const [here, there] = [await imageLabels(`${images[0]}:${localTag(one, "dttest", "1.0.0")}`), await imageLabels(`${images[0]}:${localTag(two, "dttest", "1.0.0")}`)];
    expect(there!["dev.dt.context-digest"]).not.toBe(here!["dev.dt.context-digest"]);
    expect(there!["dev.dt.content-digest"]).toBe(here!["dev.dt.content-digest"]);

    const served = await runJson(["test", ...AB], two);
    expect(served.result.code).toBe(0);
    expect(served.dirs["apps/a"]).toMatchObject({ cached: true, status: "passed", image: `${images[0]}:${localTag(two, "dttest", "1.0.0")}` });
    expect(served.dirs["apps/b"].cached).toBe(true);
    expect(served.json.cache).toEqual({ hits: 2, warnings: [] });
  });

  test("changing one file re-runs only its dir, --explain names it; reverting it is served again", async () => {
    const file = join(one, "apps/a/tests/test_a.py");
    writeFileSync(file, "def test_a():\n    assert True\n");
    const changed = await runJson(["test", ...AB, "--explain"]);
    expect(changed.dirs["apps/a"]).toMatchObject({ cached: false, status: "passed", explain: ["apps/a/tests/test_a.py changed"] });
    expect(changed.dirs["apps/b"].cached).toBe(true);
    expect(changed.result.stderr).toContain("apps/a ran:\n  apps/a/tests/test_a.py changed");
    git(one, ["checkout", "--", "apps/a"]);
    expect((await runJson(["test", ...AB])).dirs["apps/a"].cached).toBe(true);
  });

  test("moving a sub-repo commit under depends_on re-runs the dirs that depend on it", async () => {
    const helpers = join(one, "helpers");
    const head = git(helpers, ["rev-parse", "HEAD"]);
    writeFileSync(join(helpers, "h.py"), "H = 2\n");
    git(helpers, ["commit", "-qam", "move"]);
    try {
      const moved = await runJson(["test", ...AB, "--explain"]);
      expect(moved.dirs["apps/a"].cached).toBe(false);
      expect(moved.dirs["apps/a"].explain.join("\n")).toMatch(/sub-repo helpers moved [0-9a-f]{8}\.\.[0-9a-f]{8}/);
      expect(moved.dirs["apps/b"].cached).toBe(true);
    } finally {
      git(helpers, ["checkout", "-q", head]);
    }
  });

  test("an image rebuilt from another context re-runs its dir", async () => {
    const rebuilt = await run(["docker", "build", "--build-arg", "DTC_PROBE=1"], join(one, "apps/b"));
    expect(rebuilt.code).toBe(0);
    const after = await runJson(["test", ...AB, "--explain"]);
    expect(after.dirs["apps/b"].cached).toBe(false);
    expect(after.dirs["apps/b"].explain).toEqual([expect.stringMatching(/^the image changed: content sha256:/)]);
    expect(after.dirs["apps/a"].cached).toBe(true);
  });

  test("--no-cache runs a cached dir; credentials the registry refuses: one warning without the secret, and the tests run", async () => {
    const bad = join(tmp, "bad-config");
    writeTree(bad, { "config.json": JSON.stringify({ auths: { [tb.authRegistry]: { auth: Buffer.from(`${tb.auth.username}:wrong-pw-9`).toString("base64") } } }) });
    expect((await runJson(["test", "--dir", "apps/a"])).dirs["apps/a"].cached).toBe(true);
    const r = await runJson(["test", "--dir", "apps/a", "--no-cache"], one, { DOCKER_CONFIG: bad });
    expect(r.result.code).toBe(0);
    expect(r.dirs["apps/a"]).toMatchObject({ status: "passed", cached: false });
    expect(r.json.cache.warnings).toEqual([expect.stringContaining(`${tb.authRegistry} refused the credentials`)]);
    expect(r.result.stderr).toContain("warning: test cache:");
    expect(r.result.stdout + r.result.stderr).not.toContain("wrong-pw-9");
  });

  test("no run printed the registry password or left a container behind", async () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(tb.auth.password);
    expect(await dtContainersOf(one)).toEqual([]);
  });
});

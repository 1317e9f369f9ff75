// SIGINT and SIGTERM in the middle of real work: a build step, a push and a pull of a large
// image, a command in a container, two test dirs in parallel, a changelog bump. After each:
// exit 130 (SIGINT) or 143 (SIGTERM), no container of the workspace left (checked through the
// engine's API), no half-written file, and the work can simply be run again.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { parseJunit } from "../../src/core/testing/junit.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, type DtResult } from "../support/dt.ts";
import { docker, dtContainersOf, imageId, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, killStragglers, LONG_FAST_SUITE, spawnDt, suffix, tempLeftovers, waitUntil } from "./helpers.ts";
import { localTag } from "../support/tags.ts";

setDefaultTimeout(300_000);

const SIGNALS = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const;

const sfx = suffix();
const marker = `dtrel-${sfx}`;
const env = { USER: "dttest" };
const registryRepo = () => `${testbed().registry}/${marker}`;
let root = "";

function runnable(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`${name}/changelog.txt`]: changelog(name),
    [`${name}/devops/.keep`]: "",
    [`${name}/dt.yaml`]: `image: ${name}\n`,
    ...extra,
  };
}

const sleepingTest = "import time\n\ndef test_sleeps():\n    time.sleep(120)\n";

beforeAll(async () => {
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: ${marker}\nbase_image: ${testbed().images.pybase}\nregistry: ${registryRepo()}\n${LONG_FAST_SUITE}`,
    ...runnable("slowbuild", {
      // The marker in the RUN line names the build's own container in the engine's list.
      "slowbuild/devops/docker_build/dev.Dockerfile": `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN echo ${marker} && sleep 120\n`,
    }),
    ...runnable("a", { "a/tests/test_a.py": sleepingTest }),
    ...runnable("b", { "b/tests/test_b.py": sleepingTest }),
    // 200 MB of random bytes: gzip cannot shrink it, so a push or pull takes seconds.
    ...runnable("big", {
      "big/devops/docker_build/dev.Dockerfile": [
        "ARG BASE_IMAGE",
        "FROM ${BASE_IMAGE}",
        "COPY . /opt/dt/project/",
        "RUN sh /opt/dt/project/devops/docker_build/install.sh",
        `RUN head -c 200000000 /dev/urandom > /big.bin && echo ${marker} > /marker`,
        'ENTRYPOINT ["/opt/dt/project/devops/docker_run/entrypoint.sh"]',
        "",
      ].join("\n"),
    }),
  });
  for (const dir of ["a", "b", "big"]) {
    const r = await dt(["docker", "build", "--dir", dir], { cwd: root, env });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
  }
});

afterEach(killStragglers);

afterAll(async () => {
  await removeImages([...["slowbuild", "a", "b", "big"].map((n) => `${registryRepo()}/${n}`)]);
  cleanupAll();
});

/** The engine's containers whose command carries this file's marker (a build's RUN step). */
const markedContainers = async () => (await docker.listContainers({ all: true })).filter((c) => c.Command.includes(marker));

/** Every JUnit file dt keeps under .dt/reports parses whole; the per-run dirs are gone. */
function assertReportsWhole(): void {
  const reports = join(root, ".dt", "reports");
  if (!existsSync(reports)) return;
  for (const name of readdirSync(reports)) {
    if (name.endsWith(".xml")) expect(() => parseJunit(readFileSync(join(reports, name), "utf8"))).not.toThrow();
  }
  const runs = join(reports, "runs");
  if (existsSync(runs)) expect(readdirSync(runs)).toEqual([]);
}

describe("dt docker build", () => {
  for (const [signal, code] of SIGNALS) {
    test(`${signal} during a RUN step that sleeps: exit ${code}, the build container goes, no image is tagged`, async () => {
      const run = spawnDt(["docker", "build", "--dir", "slowbuild", "--no-cache"], { cwd: root, env });
      await waitUntil("the RUN step's container to run", 60_000, async () => (await markedContainers()).some((c) => c.State === "running"));
      run.proc.kill(signal);
      const r = await run.done;
      expect(r.code).toBe(code);
      expect(r.ms).toBeLessThan(60_000);
      // The engine cancels a build whose client went away and removes its container (forcerm).
      await waitUntil("the build container to be removed", 15_000, async () => (await markedContainers()).length === 0);
      expect(await imageId(`${registryRepo()}/slowbuild:${localTag(root, "dttest", "0.1.0")}`)).toBeUndefined();
      expect(tempLeftovers(root)).toEqual([]);
    });
  }
});

describe("dt docker cmd", () => {
  for (const [signal, code] of SIGNALS) {
    test(`${signal} during 'dt docker cmd -- sleep 60': exit ${code}, the container is removed`, async () => {
      const run = spawnDt(["docker", "cmd", "--dir", "a", "--", "sleep", "60"], { cwd: root, env });
      await waitUntil("the container to run", 30_000, async () => (await dtContainersOf(root)).some((c) => c.State === "running"));
      run.proc.kill(signal);
      const r = await run.done;
      expect(r.code).toBe(code);
      expect(r.ms).toBeLessThan(30_000);
      expect(await dtContainersOf(root)).toEqual([]);
    });
  }
});

describe("dt test -j 2", () => {
  for (const [signal, code] of SIGNALS) {
    test(`${signal} while two dirs' tests sleep: exit ${code}, both containers removed, no partial report`, async () => {
      const run = spawnDt(["test", "--dir", "a", "--dir", "b", "-j", "2"], { cwd: root, env });
      await waitUntil("both test sessions to start", 60_000, () => (run.stderrSoFar().match(/collected 1 item/g) ?? []).length === 2);
      expect((await dtContainersOf(root)).filter((c) => c.State === "running").length).toBe(2);
      run.proc.kill(signal);
      const r = await run.done;
      expect(r.code).toBe(code);
      expect(r.stdout + r.stderr).not.toMatch(/\bpassed: |✓ a|✓ b/);
      expect(await dtContainersOf(root)).toEqual([]);
      assertReportsWhole();
      expect(tempLeftovers(root)).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------- registry transfers

const MANIFEST_TYPES = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"].join(", ");

/** The registry's manifest of `tag`, checked whole: every blob it names is there. Undefined if absent. */
async function registryManifest(tag: string): Promise<{ digest: string } | undefined> {
  const base = `http://${testbed().registry}/v2/${marker}/big`;
  const res = await fetch(`${base}/manifests/${tag}`, { headers: { Accept: MANIFEST_TYPES } });
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  const json = (await res.json()) as { config: { digest: string }; layers: { digest: string }[] };
  for (const blob of [json.config, ...json.layers]) {
    expect((await fetch(`${base}/blobs/${blob.digest}`, { method: "HEAD" })).status).toBe(200);
  }
  return { digest: res.headers.get("docker-content-digest")! };
}

/** The push has sent bytes (its progress line counts MB; pushing gzips, so it takes seconds). */
const pushing = (run: ReturnType<typeof spawnDt>) => /\d+\.\d\/\d+\.\d MB/.test(run.stderrSoFar());
/** The pull's layer stream has started (its first progress line; on a pipe the next one comes 2 s later). */
const pulling = (run: ReturnType<typeof spawnDt>) => /: \d+\/\d+ layers|MB/.test(run.stderrSoFar());

// The push test interrupts the first transfer of the layer, so it runs before the pull test (as
// declared); the pull test, run alone (`-t pull`), makes the complete push it starts from itself.
describe("dt docker push and pull of a 200 MB layer", () => {
  const repo = () => `${registryRepo()}/big`;
  let builtId = "";
  /** The built image, tagged dev-0.1.0 and dev as a release would. */
  const tagDev = async () => {
    builtId ||= (await imageId(`${repo()}:${localTag(root, "dttest", "0.1.0")}`)) ?? "";
    expect(builtId).toMatch(/^sha256:/);
    for (const tag of ["dev-0.1.0", "dev"]) await docker.getImage(builtId).tag({ repo: repo(), tag });
  };
  let completePush: Promise<DtResult> | undefined;
  const pushDev = () => (completePush ??= tagDev().then(() => dt(["docker", "push", "--dir", "big", "--stage", "dev"], { cwd: root, env, timeoutMs: 240_000 })));

  test("push: SIGINT and SIGTERM mid-transfer exit 130/143 and leave no tag pointing at missing blobs; a new push completes", async () => {
    if (completePush) throw new Error("the layer is in the registry already (the pull test ran first): this test needs its first push");
    await tagDev();
    for (const [signal, code] of SIGNALS) {
      const run = spawnDt(["docker", "push", "--dir", "big", "--stage", "dev"], { cwd: root, env });
      await waitUntil("the push to transfer bytes", 60_000, () => pushing(run));
      run.proc.kill(signal);
      const r = await run.done;
      expect({ signal, code: r.code }).toEqual({ signal, code });
      // Whatever the registry holds under the tag is whole (or nothing is there yet).
      await registryManifest("dev-0.1.0");
    }
    const full = await pushDev();
    expect(full.stderr).toContain(`pushed ${repo()}:dev-0.1.0, ${repo()}:dev`);
    expect(full.code).toBe(0);
    expect((await registryManifest("dev-0.1.0"))?.digest).toMatch(/^sha256:/);
  });

  test("pull: SIGINT and SIGTERM mid-transfer exit 130/143 and leave no half-pulled image; a new pull gives the pushed image", async () => {
    expect((await pushDev()).code).toBe(0);
    // Drop every local copy so that the pull has to fetch the 200 MB layer.
    await docker.getImage(builtId).remove({ force: true });
    expect(await imageId(`${repo()}:dev`)).toBeUndefined();
    for (const [signal, code] of SIGNALS) {
      const run = spawnDt(["docker", "pull", "--dir", "big", "--stage", "dev"], { cwd: root, env });
      await waitUntil("the pull to start its layers", 60_000, () => pulling(run));
      run.proc.kill(signal);
      const r = await run.done;
      expect({ signal, code: r.code }).toEqual({ signal, code });
      expect(await imageId(`${repo()}:dev`)).toBeUndefined();
    }
    const full = await dt(["docker", "pull", "--dir", "big", "--stage", "dev"], { cwd: root, env, timeoutMs: 240_000 });
    expect(full.code).toBe(0);
    expect(await imageId(`${repo()}:dev`)).toBe(builtId);
    const cat = await dt(["docker", "cmd", "--dir", "big", "--stage", "dev", "--", "cat", "/marker"], { cwd: root, env });
    expect(cat.stdout).toBe(`${marker}\n`);
  });
});

// ---------------------------------------------------------------- changelog

describe("dt version bump", () => {
  test("SIGTERM/SIGINT right after start, 24 times: the changelog is always whole, the lock file always gone", async () => {
    const ws = makeRepo(join(testdir().path, "bump"), { "changelog.txt": changelog("bump", "1.0.0"), "devops/.keep": "" });
    const file = join(ws, "changelog.txt");
    const outcomes = new Map<number, number>();
    for (let i = 0; i < 24; i++) {
      const [signal, interrupted] = SIGNALS[i % 2]!;
      const before = readFileSync(file, "utf8");
      const run = spawnDt(["version", "bump", "patch", "-m", `bump ${i}`, "--date", "2026-11-21"], { cwd: ws });
      // Spread the signal over start-up: before dt reads the file, around the write, after it.
      await Bun.sleep((i * 7) % 60);
      run.proc.kill(signal);
      const r = await run.done;
      outcomes.set(r.code, (outcomes.get(r.code) ?? 0) + 1);
      // Finished first (0), stopped by dt's handler (130/143), or killed before the handler was set.
      expect([0, interrupted, 128 + (signal === "SIGINT" ? 2 : 15)]).toContain(r.code);
      const after = readFileSync(file, "utf8");
      const entries = parseChangelog(after, "changelog.txt");
      // Either untouched, or exactly one entry more on top of the old text.
      if (after !== before) {
        expect(after.endsWith(before)).toBe(true);
        expect(entries[0]!.notes).toEqual([`bump ${i}`]);
      }
      expect(existsSync(`${file}.dt-lock`)).toBe(false);
      expect(tempLeftovers(ws)).toEqual([]);
    }
    // The spread hits both sides: some bumps finished, some were stopped by dt's own handler.
    expect((outcomes.get(130) ?? 0) + (outcomes.get(143) ?? 0)).toBeGreaterThan(0);
    // The file ends as a valid changelog whose versions strictly decrease (parseChangelog checks).
    expect(parseChangelog(readFileSync(file, "utf8")).length).toBeGreaterThanOrEqual(1);
  });

  test("SIGKILL (no handler runs) leaves the old or the new changelog, and the next bump takes over the stale lock", async () => {
    const ws = makeRepo(join(testdir().path, "bumpkill"), { "changelog.txt": changelog("bump", "1.0.0"), "devops/.keep": "" });
    const file = join(ws, "changelog.txt");
    for (let i = 0; i < 10; i++) {
      const run = spawnDt(["version", "bump", "patch", "-m", `bump ${i}`, "--date", "2026-11-21"], { cwd: ws });
      await Bun.sleep((i * 11) % 60);
      run.proc.kill("SIGKILL");
      await run.done;
      parseChangelog(readFileSync(file, "utf8"));
    }
    // A lock left by a dead dt is taken over, not waited for.
    writeFileSync(`${file}.dt-lock`, "999999\n");
    const next = await dt(["version", "bump", "minor", "-m", "after the kills", "--date", "2026-11-22"], { cwd: ws });
    expect(next.stderr).toBe("");
    expect(next.code).toBe(0);
    expect(parseChangelog(readFileSync(file, "utf8"))[0]!.notes).toEqual(["after the kills"]);
    expect(existsSync(`${file}.dt-lock`)).toBe(false);
  });
});

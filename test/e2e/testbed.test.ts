// Checks the test bed itself (scripts/testbed.sh) and the git fixtures, so a broken
// machine shows up here as one clear failure instead of as noise in every e2e test.
// The docker CLI is fine in this file: the no-CLI rule is for dt's own code.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cleanupAll, git, makeWorkspace, testdir } from "../support/fixtures.ts";
import { otherUser, testbed } from "../support/testbed.ts";

const tb = testbed();

// Containers and git submodule clones take seconds, more on a busy 2-core machine; bun's
// 5 s default (bunfig's timeout is not read by bun 1.4) is too tight for a direct run.
setDefaultTimeout(120_000);

afterAll(cleanupAll);

function docker(args: string[], extraEnv: Record<string, string> = {}, input?: string) {
  const r = Bun.spawnSync(["docker", ...args], {
    env: { ...process.env, ...tb.env, ...extraEnv },
    stdin: input === undefined ? "ignore" : Buffer.from(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, out: r.stdout.toString().trim(), err: r.stderr.toString().trim() };
}

/** Run docker and fail with its stderr when it fails. */
function dockerOk(args: string[], extraEnv: Record<string, string> = {}, input?: string): string {
  const r = docker(args, extraEnv, input);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.code}): ${r.err}`);
  return r.out;
}

describe("docker engine", () => {
  test("answers", () => {
    expect(dockerOk(["version", "--format", "{{.Server.Version}}"])).not.toBe("");
  });

  test("has the busybox image, and it runs without a network", () => {
    dockerOk(["image", "inspect", tb.images.busybox]);
    dockerOk(["image", "inspect", "dt-test/busybox:latest"]);
    expect(dockerOk(["run", "--rm", "--network", "none", tb.images.busybox, "sh", "-c", "echo ok; test -d /tmp"])).toBe(
      "ok",
    );
  });

  test("has the pybase image with pytest", () => {
    dockerOk(["image", "inspect", tb.images.pybase]);
    const out = dockerOk(["run", "--rm", "--network", "none", "dt-test/pybase:latest", "python3", "-m", "pytest", "--version"]);
    expect(out).toMatch(/pytest \d+/);
  });

  test("has the poetrybase image with Debian's poetry and pytest", () => {
    const out = dockerOk(["run", "--rm", "--network", "none", tb.images.poetrybase, "sh", "-c", "poetry --version && python3 -m pytest --version"]);
    expect(out).toMatch(/Poetry \(version 1\.\d+/);
    expect(out).toMatch(/pytest \d+/);
  });

  test("runs the arm64 image through QEMU when the bed says it can", () => {
    if (!tb.qemu) {
      // Consistent bed: no QEMU, no arm64 image. Nothing else to check here.
      expect(tb.images.busyboxArm64).toBeNull();
      return;
    }
    expect(tb.images.busyboxArm64).not.toBeNull();
    const arch = dockerOk(["run", "--rm", "--network", "none", "--platform", "linux/arm64", tb.images.busyboxArm64!, "uname", "-m"]);
    expect(arch).toBe("aarch64");
  });
});

describe("registries", () => {
  const basic = `Basic ${Buffer.from(`${tb.auth.username}:${tb.auth.password}`).toString("base64")}`;

  test("open registry answers /v2/", async () => {
    const res = await fetch(`http://${tb.registry}/v2/`);
    expect(res.status).toBe(200);
  });

  test("auth registry wants credentials and takes ours", async () => {
    expect((await fetch(`http://${tb.authRegistry}/v2/`)).status).toBe(401);
    expect((await fetch(`http://${tb.authRegistry}/v2/`, { headers: { Authorization: basic } })).status).toBe(200);
  });

  test("the engine pushes to both (loopback is an insecure registry by default)", async () => {
    // A private DOCKER_CONFIG keeps `docker login` away from the user's ~/.docker.
    const cfg = testdir();
    const env = { DOCKER_CONFIG: cfg.path };
    const pushTo = (registry: string) => {
      const ref = `${registry}/dt-testbed/busybox:selftest`;
      dockerOk(["tag", tb.images.busybox, ref], env);
      dockerOk(["push", ref], env);
      dockerOk(["rmi", ref], env);
    };
    pushTo(tb.registry);
    dockerOk(["login", "-u", tb.auth.username, "--password-stdin", tb.authRegistry], env, tb.auth.password);
    pushTo(tb.authRegistry);
    const tags = await fetch(`http://${tb.authRegistry}/v2/dt-testbed/busybox/tags/list`, {
      headers: { Authorization: basic },
    });
    expect(((await tags.json()) as { tags: string[] }).tags).toContain("selftest");
    cfg.cleanup();
  });
});

describe("the second user", () => {
  test("exists, is not root, and reaches the engine through the socket's group", () => {
    const name = otherUser();
    const as = (argv: string[]) => Bun.spawnSync(["setpriv", `--reuid=${name}`, `--regid=${name}`, "--init-groups", "--", ...argv], { env: { ...process.env, ...tb.env } });
    expect(as(["id", "-u"]).stdout.toString().trim()).not.toBe("0");
    expect(as(["docker", "version", "--format", "{{.Server.Version}}"]).exitCode).toBe(0);
  });
});

describe("fixtures.makeWorkspace", () => {
  test("builds a super-repo with sub-repos 3 levels deep and one uninitialised", () => {
    const ws = makeWorkspace({ runnables: 2, depth: 3 });
    const status = git(ws.root, ["submodule", "status", "--recursive"])
      .split("\n")
      .map((line) => ({ state: line[0], rel: line.slice(1).split(" ")[1] }));

    const initialised = status.filter((s) => s.state === " ").map((s) => s.rel);
    expect(initialised).toEqual(ws.subRepos.map((r) => r.rel));
    expect(ws.subRepos.map((r) => r.rel)).toEqual([
      "libs/shared",
      "libs/shared/vendor/core",
      "libs/shared/vendor/core/vendor/level3",
    ]);
    expect(status.filter((s) => s.state === "-").map((s) => s.rel)).toEqual(["libs/optional"]);
    expect(ws.uninitialized?.rel).toBe("libs/optional");
  });

  test("marks runnable dirs with changelog.txt and a tracked devops/", () => {
    const ws = makeWorkspace({ runnables: 3, depth: 2, uninitialized: false });
    expect(ws.runnables.map((r) => r.rel)).toEqual([
      ".",
      "services/svc-1",
      "services/svc-2",
      "services/svc-3",
      "libs/shared/tools/shared-tool",
      "libs/shared/vendor/core",
    ]);
    for (const r of ws.runnables) {
      expect(Bun.file(`${r.path}/changelog.txt`).size).toBeGreaterThan(0);
      // Tracked in the repo that owns the dir, so it survives a clone.
      expect(git(r.path, ["ls-files", "devops"])).toBe("devops/.keep");
    }
    expect(ws.uninitialized).toBeNull();
  });
});

describe("scripts/testbed.sh", () => {
  test("a second run says it waits for the first one's lock, and how long it waited", async () => {
    // A state dir of its own, and a command that stops right after the lock (an unknown one):
    // the real bed is never touched.
    const state = testdir().path;
    const script = `${import.meta.dir}/../../scripts/testbed.sh`;
    const holder = Bun.spawn(["bash", "-c", `exec 9>>"${state}/lock"; flock 9; echo "pid 4242, since 10:00:00" >"${state}/lock.owner"; echo locked; sleep 2`], { stdout: "pipe" });
    const reader = holder.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("locked\n");
    const r = Bun.spawnSync(["bash", script, "no-such-command"], { env: { ...process.env, DT_TESTBED_DIR: state }, stderr: "pipe" });
    const said = r.stderr.toString();
    expect(said).toContain(`testbed: waiting for another testbed.sh run to finish (pid 4242, since 10:00:00) (lock: ${state}/lock)`);
    expect(said).toMatch(/testbed: waited [12] s for the other testbed\.sh run/);
    expect(said).toContain("usage:");
    await holder.exited;
    // Uncontended: not a word about waiting.
    const alone = Bun.spawnSync(["bash", script, "no-such-command"], { env: { ...process.env, DT_TESTBED_DIR: state }, stderr: "pipe" });
    expect(alone.stderr.toString()).not.toContain("waiting");
  });
});

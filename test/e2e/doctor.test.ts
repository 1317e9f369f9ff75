// dt doctor against the real engine, a stopped one and a hung one.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { cleanupAll, makeWorkspace, testdir } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";
import { testbed } from "../support/testbed.ts";

afterAll(cleanupAll);

const engineEnv = () => (testbed().dockerHost ? { DOCKER_HOST: testbed().dockerHost } : {});

describe("dt doctor", () => {
  const ws = makeWorkspace({ runnables: 1, depth: 2, uninitialized: false });

  test("passes in a healthy workspace with the real engine, and names the engine's version and arch", async () => {
    const { result, json } = await dtJson(["doctor", "--json"], { cwd: ws.root, env: engineEnv() });
    expect(result.code).toBe(0);
    expect(json.ok).toBe(true);
    const engine = json.checks.find((c: any) => c.name === "engine");
    expect(engine.status).toBe("ok");
    expect(engine.detail).toMatch(/Docker \S+ \(API 1\.\d+\) linux\/amd64/);
    expect(json.checks.find((c: any) => c.name === "git").detail).toMatch(/^git version/);
    expect(json.checks.filter((c: any) => c.name.startsWith("runnable ")).length).toBe(ws.runnables.length);
  });

  test("with the engine stopped: exit 3 within 2 s and how to start it", async () => {
    const dead = join(testdir().path, "docker.sock");
    const r = await dt(["doctor"], { cwd: ws.root, env: { DOCKER_HOST: `unix://${dead}` } });
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(2000);
    expect(r.stdout).toContain(`engine: the Docker engine at unix://${dead} is not reachable`);
    expect(r.stdout).toMatch(/fix: start the Docker engine/);
  });

  test("with an engine that accepts but never answers: exit 3 within 2 s", async () => {
    const sock = join(testdir().path, "hung.sock");
    const held: import("node:net").Socket[] = [];
    const server = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = await dt(["doctor", "--json"], { cwd: ws.root, env: { DOCKER_HOST: `unix://${sock}` } });
      expect(r.code).toBe(3);
      expect(r.ms).toBeLessThan(2000);
      const engine = JSON.parse(r.stdout).checks.find((c: any) => c.name === "engine");
      expect(engine.status).toBe("fail");
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  test("an invalid changelog, an uninitialised sub-repo and an unusable platform each fail with a fix", async () => {
    const broken = makeWorkspace({ runnables: 1, depth: 1, uninitialized: true });
    writeFileSync(join(broken.root, "services/svc-1/changelog.txt"), "# svc-1-0.1.0\n- 20-11-2026\n");
    writeFileSync(join(broken.root, "dt.yaml"), "platforms: [linux/amd64, linux/s390x]\n");
    const { result, json } = await dtJson(["doctor", "--json"], { cwd: broken.root, env: engineEnv() });
    expect(result.code).toBe(3);
    const byName = (n: string) => json.checks.find((c: any) => c.name === n);
    expect(byName("runnable services/svc-1").status).toBe("fail");
    expect(byName("runnable services/svc-1").detail).toContain("services/svc-1/changelog.txt:2");
    expect(byName("sub-repos").status).toBe("fail");
    expect(byName("sub-repos").fix).toContain("dt subrepo update");
    expect(byName("platform linux/amd64").status).toBe("ok");
    const s390x = byName("platform linux/s390x");
    expect(s390x.status).toBe(require("node:fs").existsSync("/proc/sys/fs/binfmt_misc/qemu-s390x") ? "ok" : "fail");
  });
});

// A DockerEngine talks to the address it was given (unix://, tcp://, tcp:// with TLS read as the
// Docker CLI reads it), not to DOCKER_HOST of the environment: a builder of dt.yaml is such an
// address. The engine is the test bed's, reached through proxies on 127.0.0.1.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DockerEngine } from "../../src/core/engine/docker-engine.ts";
import { bedEngineHost, certificates, proxy } from "../support/engine-proxy.ts";
import { cleanupAll, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

afterAll(() => {
  proxy.closeAll();
  cleanupAll();
});

/** Sets env for one block, restoring it after. */
async function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  set(vars);
  try {
    await body();
  } finally {
    set(before);
  }
}

describe("DockerEngine(host)", () => {
  test("unix://, tcp:// and tcp:// with TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), while DOCKER_HOST names a socket with no engine", async () => {
    const plain = await proxy.open();
    const { dir, server } = certificates();
    const tls = await proxy.open(server);
    const elsewhere = `unix://${join(testdir().path, "no-engine.sock")}`;
    const none = { DOCKER_TLS_VERIFY: undefined, DOCKER_TLS: undefined, DOCKER_CERT_PATH: undefined };
    // Calls that go through dockerode: the ones a DOCKER_HOST-bound client would send elsewhere.
    const busybox = async (engine: DockerEngine) => (await engine.inspectImage(testbed().images.busybox))?.Architecture;
    await withEnv({ DOCKER_HOST: elsewhere, ...none }, async () => {
      expect(await busybox(new DockerEngine(bedEngineHost()))).toBe("amd64");
      expect(await busybox(new DockerEngine(`tcp://127.0.0.1:${plain}`))).toBe("amd64");
    });
    await withEnv({ DOCKER_HOST: elsewhere, ...none, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir }, async () => {
      const engine = new DockerEngine(`tcp://127.0.0.1:${tls}`);
      expect((await engine.version()).os).toBe("linux");
      expect(await busybox(engine)).toBe("amd64");
    });
    // The variables decide TLS, not the port: without them the TLS engine hangs up on dt.
    await withEnv({ DOCKER_HOST: elsewhere, ...none, DOCKER_CERT_PATH: dir }, async () => {
      await expect(new DockerEngine(`tcp://127.0.0.1:${tls}`).ping()).rejects.toThrow(/not reachable/);
    });
  }, 60_000);
});

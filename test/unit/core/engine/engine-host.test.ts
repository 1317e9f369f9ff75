import { describe, expect, test } from "bun:test";
import { checkEngineHost } from "../../../../src/core/engine/engine-host.ts";
import { dtErrorOf } from "../../../support/errors.ts";

describe("checkEngineHost", () => {
  test("the forms of the Docker CLI pass: unix socket, tcp://HOST:PORT, ssh://USER@HOST, or none", () => {
    for (const host of ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://[::1]:2376", "tcp://builder", "ssh://ci@arm-builder", "ssh://arm-builder:2222"]) {
      expect(checkEngineHost({ DOCKER_HOST: host })).toBe(host);
    }
    expect(checkEngineHost({})).toBe("unix:///var/run/docker.sock");
  });

  test("anything else is a usage error naming the accepted forms", () => {
    for (const host of ["garbage", "127.0.0.1:2375", "unix://relative.sock", "tcp://", "http://127.0.0.1:2375", "tcp://host:2375/path"]) {
      const e = dtErrorOf(() => checkEngineHost({ DOCKER_HOST: host }));
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(`DOCKER_HOST=${host} is not an engine address`);
      expect(e.hint).toContain("unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://USER@HOST");
    }
  });
});

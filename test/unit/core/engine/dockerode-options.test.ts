// How dt tells dockerode which engine to talk to: the address it was given, never DOCKER_HOST
// of the environment, with TLS as the Docker CLI reads it. Against real engines (a tcp:// and a
// TLS proxy in front of the test bed's engine): test/e2e/builders.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import Dockerode from "dockerode";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerodeOptions } from "../../../../src/core/engine/dockerode-options.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const certDir = () => {
  const { path } = testdir();
  for (const name of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(path, name), `${name} of the test\n`);
  return path;
};

describe("dockerodeOptions", () => {
  test("a unix:// engine is its socket, whatever DOCKER_HOST says (docker-modem would take its host)", () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "tcp://elsewhere.example:2375";
    try {
      const options = dockerodeOptions("unix:///tmp/builder/docker.sock", {});
      expect(options.socketPath).toBe("/tmp/builder/docker.sock");
      const modem = new Dockerode(options).modem as unknown as { socketPath: string; host: string | undefined };
      expect([modem.socketPath, modem.host]).toEqual(["/tmp/builder/docker.sock", undefined]);
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });

  test("tcp:// is plain HTTP unless DOCKER_TLS_VERIFY or DOCKER_TLS is set; DOCKER_CERT_PATH alone only locates certificates", () => {
    expect(dockerodeOptions("tcp://10.1.2.3", {})).toMatchObject({ protocol: "http", host: "10.1.2.3", port: 2375, socketPath: undefined });
    expect(dockerodeOptions("tcp://10.1.2.3:2376", { DOCKER_CERT_PATH: certDir() })).toMatchObject({ protocol: "http", port: "2376", ca: undefined });
  });

  test("DOCKER_TLS_VERIFY: https with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (else the Docker config dir); no ca.pem is exit 2", () => {
    const dir = certDir();
    const verified = dockerodeOptions("tcp://builder.example", { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir });
    expect(verified).toMatchObject({ protocol: "https", host: "builder.example", port: 2376 });
    expect([verified.ca, verified.cert, verified.key].map(String)).toEqual(["ca.pem of the test\n", "cert.pem of the test\n", "key.pem of the test\n"]);
    expect(verified.agent).toBeUndefined();
    expect(String(dockerodeOptions("tcp://b:2376", { DOCKER_TLS_VERIFY: "1", DOCKER_CONFIG: dir }).ca)).toBe("ca.pem of the test\n");
    const empty = testdir().path;
    const e = dtErrorOf(() => dockerodeOptions("tcp://b:2376", { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: empty }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(join(empty, "ca.pem"));
  });

  test("DOCKER_TLS without DOCKER_TLS_VERIFY: https to an engine that is not verified", () => {
    const options = dockerodeOptions("tcp://b:2376", { DOCKER_TLS: "1", DOCKER_CERT_PATH: certDir() });
    expect(options.protocol).toBe("https");
    expect((options.agent as unknown as { options: { rejectUnauthorized: boolean } }).options.rejectUnauthorized).toBe(false);
  });

  test("ssh:// logs in as its user, on its port, with the ssh agent", () => {
    expect(dockerodeOptions("ssh://ci@arm-builder.example:2222", { SSH_AUTH_SOCK: "/tmp/agent.sock" })).toMatchObject({
      protocol: "ssh",
      host: "arm-builder.example",
      port: 2222,
      username: "ci",
      sshOptions: { agent: "/tmp/agent.sock", hostVerifier: expect.any(Function) },
      socketPath: undefined,
    });
    expect(dockerodeOptions("ssh://arm-builder", { SSH_AUTH_SOCK: "/a" })).toMatchObject({ port: 22, username: undefined });
  });

  test("ssh:// checks the server's key against known_hosts under HOME: an unknown key is refused, a listed one accepted", () => {
    const home = mkdtempSync(join(tmpdir(), "dt-ssh-home-"));
    try {
      mkdirSync(join(home, ".ssh"));
      const key = Buffer.from("a host key blob");
      const verify = dockerodeOptions("ssh://ci@arm:2222", { HOME: home, SSH_AUTH_SOCK: "/a" }).sshOptions!.hostVerifier as (k: Buffer) => boolean;
      expect(verify(key)).toBe(false);
      writeFileSync(join(home, ".ssh", "known_hosts"), `[arm]:2222 ssh-ed25519 ${key.toString("base64")}\n`);
      expect(verify(key)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("another scheme is exit 2 with the forms dt takes", () => {
    const e = dtErrorOf(() => dockerodeOptions("npipe:////./pipe/docker_engine", {}));
    expect(e.exitCode).toBe(2);
    expect(e.hint).toContain("ssh://USER@HOST");
  });
});

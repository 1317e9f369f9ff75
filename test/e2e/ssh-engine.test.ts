// An ssh:// engine's host key, checked as `ssh -o BatchMode=yes` does: a real SSH server (ssh2's
// Server, on 127.0.0.1, a fresh ed25519 host key) stands in for the engine host. It accepts any
// login and answers `docker system dial-stdio` with "no docker here", so what dt says shows how
// far it got: refused at the host key (no login tried), or logged in and on to the engine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Server, utils } from "ssh2";
import { dt } from "../support/dt.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

const hostKey = utils.generateKeyPairSync("ed25519");
const otherKey = utils.generateKeyPairSync("ed25519");
const seen: string[] = [];
let server: Server;
let port = 0;
let home = "";
let ws = "";

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    seen.push("connected");
    client.on("authentication", (ctx) => {
      seen.push(`login ${ctx.method}`);
      ctx.accept();
    });
    client.on("session", (accept) => {
      accept().on("exec", (acceptExec, _reject, info) => {
        seen.push(`exec ${info.command}`);
        const channel = acceptExec();
        channel.stderr.write("no docker here\n");
        channel.exit(1);
        channel.end();
      });
    });
    client.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  home = testdir().path;
  mkdirSync(join(home, ".ssh"), { recursive: true, mode: 0o700 });
  ws = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: dtssh\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": "# dtssh-0.1.0\n- 2026-11-20\n- First\n",
    "devops/.keep": "",
  });
});

afterAll(() => {
  server?.close();
  cleanupAll();
});

const knownHosts = (text: string) => writeFileSync(join(home, ".ssh", "known_hosts"), text);
const publicBlob = (key: { public: string }) => key.public.split(" ")[1];
const psOverSsh = () => dt(["docker", "ps"], { cwd: ws, env: { HOME: home, SSH_AUTH_SOCK: undefined, DOCKER_HOST: `ssh://dt@127.0.0.1:${port}` }, timeoutMs: 30_000 });

describe("an ssh:// engine", () => {
  test("whose host key is not in known_hosts: exit 3 naming the host and how to add its key; no login is tried", async () => {
    knownHosts("");
    seen.length = 0;
    const r = await psOverSsh();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: the Docker engine at ssh://dt@127.0.0.1:${port} was not connected to: its ssh host key ([127.0.0.1]:${port}) is not in known_hosts`);
    expect(r.stderr).toContain(`fix: check the key and add it (ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts)`);
    expect(seen).toEqual(["connected"]);
  }, 40_000);

  test("whose host key differs from the one known_hosts has: exit 3, the key changed, no login", async () => {
    knownHosts(`[127.0.0.1]:${port} ssh-ed25519 ${publicBlob(otherKey)}\n`);
    seen.length = 0;
    const r = await psOverSsh();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`its ssh host key ([127.0.0.1]:${port}) is not the one known_hosts has for it`);
    expect(r.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:${port}'`);
    expect(seen).toEqual(["connected"]);
  }, 40_000);

  test("whose host key is known: dt logs in and asks for the engine (which this server does not have)", async () => {
    knownHosts(`[127.0.0.1]:${port} ssh-ed25519 ${publicBlob(hostKey)}\n`);
    seen.length = 0;
    const r = await psOverSsh();
    expect(r.stderr).not.toContain("host key");
    expect(r.code).not.toBe(0);
    expect(seen).toContain("exec docker system dial-stdio");
  }, 40_000);
});

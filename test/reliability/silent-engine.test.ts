// An engine that accepts connections and never answers (a hung dockerd, DOCKER_HOST pointing
// at some other service's port): every command that must ask it something ends with exit 3
// naming the engine, within the 10 s deadline of a metadata call, never hangs.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { changelog } from "./helpers.ts";

setDefaultTimeout(120_000);

let server: Server;
const held: Socket[] = [];
let host = "";
let root = "";

beforeAll(async () => {
  // Accepts, reads what it is sent, answers nothing, never hangs up.
  server = createServer((socket) => {
    held.push(socket);
    socket.on("data", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": "name: silent\n",
    "app/changelog.txt": changelog("app"),
    "app/devops/.keep": "",
    "app/tests/test_app.py": "def test_ok():\n    assert True\n",
  });
});

afterAll(() => {
  for (const s of held) s.destroy();
  server?.close();
  cleanupAll();
});

describe("an engine that accepts and never answers", () => {
  const commands = [["docker", "ps"], ["docker", "build"], ["docker", "cmd", "--", "true"], ["docker", "clean"], ["test"], ["version", "check"]];

  test("ps, build, cmd, clean, test, version check: each exits 3 within ~12 s, naming the engine", async () => {
    // All at once: each waits out its own deadline, so together they take one deadline's time.
    const results = await Promise.all(
      commands.map(async (args) => ({ args, r: await dt(args, { cwd: join(root, "app"), env: { DOCKER_HOST: host }, timeoutMs: 60_000 }) })),
    );
    for (const { args, r } of results) {
      const said = r.stdout + r.stderr;
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      // 10 s of deadline, plus start-up and the work before the first call on a loaded machine.
      expect(r.ms).toBeGreaterThan(9_000);
      expect(r.ms).toBeLessThan(14_000);
      expect(said).toContain(`the Docker engine at ${host} did not answer within 10 s`);
      expect(said).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
    }
    // Not one of them got anything back: the server never wrote a byte.
    expect(held.length).toBeGreaterThanOrEqual(commands.length);
  });
});

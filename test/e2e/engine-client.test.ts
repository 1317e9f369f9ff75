// The run paths speak to the engine with dt's own client (src/core/engine/engine-socket.ts):
// `dt docker cmd`, `dt docker bash` and `dt test` on the real engine load no dockerode (nor
// what it drags in), which costs more to load than their own work takes. Checked as
// test/unit/startup.test.ts checks --help: the same entry point from source, with a preload
// that lists every module Bun loaded.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cleanupAll, gitEnv, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const HEAVY = /node_modules\/(dockerode|docker-modem|ssh2|@grpc|protobufjs)\//;
const env = { USER: "dttest" };
const image = `dtclient-${Math.random().toString(36).slice(2, 8)}`;
let root = "";

const preload = testdir({
  // Bun lists ES modules in require.cache too; main.ts ends with process.exit, so read it on exit.
  "loaded.ts": `process.on("exit", () => { require("node:fs").writeSync(2, "\\n@@" + JSON.stringify(Object.keys(require.cache))); });\n`,
}).path;

/** Runs src/main.ts with `args` in `cwd`; its exit code, output and the modules it loaded. */
function fromSource(args: string[], options: { cwd: string; stdin?: string; env?: Record<string, string> }) {
  const r = Bun.spawnSync([process.execPath, "--preload", join(preload, "loaded.ts"), join(ROOT, "src/main.ts"), ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...gitEnv(), NO_COLOR: "1", ...env, ...options.env },
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
  });
  const stderr = r.stderr.toString();
  const at = stderr.lastIndexOf("\n@@");
  const modules = at < 0 ? [] : (JSON.parse(stderr.slice(at + 3)) as string[]);
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: at < 0 ? stderr : stderr.slice(0, at), heavy: modules.filter((m) => HEAVY.test(m)) };
}

beforeAll(async () => {
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: client\nbase_image: ${testbed().images.pybase}\n`,
    "app/dt.yaml": `image: ${image}\n`,
    "app/changelog.txt": "# app-0.1.0\n- 2026-11-20\n- Initial\n",
    "app/devops/docker_build/os_packages.txt": "# none\n",
    "app/tests/test_app.py": "def test_ok():\n    assert True\n",
  });
  const build = await dt(["docker", "build"], { cwd: join(root, "app"), env });
  expect(build.stderr).not.toContain("error");
  expect(build.code).toBe(0);
}, 300_000);

afterAll(async () => {
  await removeImages([image]);
  cleanupAll();
});

describe("dt's own engine client on the run paths", () => {
  test("the check sees dockerode when it loads: a TLS engine is dockerode's", () => {
    const r = fromSource(["docker", "ps"], {
      cwd: root,
      env: { DOCKER_HOST: "tcp://127.0.0.1:9", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: join(preload, "no-certs") },
    });
    expect(r.code).not.toBe(0);
    expect(r.heavy.length).toBeGreaterThan(10);
  });

  test("dt docker cmd: stdout, stderr and exit code through, stdin piped in; no dockerode", () => {
    const r = fromSource(["docker", "cmd", "--", "sh", "-c", "cat; echo err >&2; exit 6"], { cwd: join(root, "app"), stdin: "piped\n" });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 6, stdout: "piped\n", stderr: "err\n" });
    expect(r.heavy).toEqual([]);
  });

  test("dt docker bash (no terminal: the shell reads stdin); no dockerode", () => {
    const r = fromSource(["docker", "bash"], { cwd: join(root, "app"), stdin: 'echo "in:$DT_STAGE"; exit 3\n' });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("in:local");
    expect(r.heavy).toEqual([]);
  });

  test("dt test: the dir's tests pass in its container; no dockerode", () => {
    const r = fromSource(["test", "--dir", "app"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain("1 passed");
    expect(r.heavy).toEqual([]);
  });
});

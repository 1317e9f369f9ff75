// Secrets never show in what dt prints: the password of the htpasswd registry (from a temp
// DOCKER_CONFIG), a *_API_KEY passed into containers, and tokens from credential helpers, in
// normal output, --json, --verbose logs and error messages of build, push, pull, release, cmd,
// test, doctor and config. (What a container prints itself is the user's business: no test
// runs `env` in a container.)
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, type DtResult } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, suffix } from "./helpers.ts";

setDefaultTimeout(300_000);

const sfx = suffix();
const ns = `dtcred-${sfx}`;
const API_KEY = `s3cr3t-value-${sfx}`;
const HELPER_TOKEN = `helper-token-${sfx}-Zq9`;
let root = "";
let bin = "";
const configs: Record<string, string> = {};
const keyHash = () => new Bun.CryptoHasher("sha256").update(API_KEY).digest("hex");
const registryRepo = () => `${testbed().authRegistry}/${ns}`;

/** Everything that must never be printed, in every encoding dt or the engine might use. */
function secrets(): string[] {
  const { username, password } = testbed().auth;
  const basic = Buffer.from(`${username}:${password}`).toString("base64");
  const tokenBasic = Buffer.from(`<token>:${HELPER_TOKEN}`).toString("base64");
  return [password, basic, API_KEY, HELPER_TOKEN, tokenBasic, Buffer.from(API_KEY).toString("base64"), Buffer.from(HELPER_TOKEN).toString("base64")];
}

/** dt with the secrets around it; fails the test if anything it printed holds one of them. */
async function run(what: string, args: string[], config: string, cwd = root): Promise<DtResult> {
  const r = await dt(args, {
    cwd,
    env: { USER: "dttest", DOCKER_CONFIG: configs[config]!, MY_API_KEY: API_KEY, PATH: `${bin}:${process.env.PATH}` },
    timeoutMs: 240_000,
  });
  for (const secret of secrets()) {
    expect({ what, leaked: (r.stdout + r.stderr).includes(secret) ? secret : null }).toEqual({ what, leaked: null });
  }
  return r;
}

/** A Docker config dir holding `config`. */
function dockerConfig(name: string, config: object): void {
  const dir = join(testdir().path, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  configs[name] = dir;
}

/**
 * A credential helper (the protocol of docker-credential-*: `get`, server on stdin, JSON out).
 * These scripts stand in for real helpers (pass, secretservice, ecr-login), which cannot run
 * here: no keyring, no cloud. dt treats them exactly as it would a real one.
 */
function helper(name: string, body: string): void {
  const path = join(bin, `docker-credential-${name}`);
  writeFileSync(path, `#!/bin/sh\nread server\n[ "$1" = get ] || exit 1\n${body}\n`);
  chmodSync(path, 0o755);
}

beforeAll(() => {
  const { username, password } = testbed().auth;
  const host = testbed().authRegistry;
  bin = join(testdir().path, "bin");
  mkdirSync(bin);
  helper("dtfake", `printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}\\n' "$server"`);
  helper("dttoken", `printf '{"ServerURL":"%s","Username":"<token>","Secret":"${HELPER_TOKEN}"}\\n' "$server"`);
  helper("dtbroken", `echo "debug: using ${HELPER_TOKEN} for $server" >&2\necho "{\\"Secret\\": \\"${HELPER_TOKEN}\\"" \nexit 1`);
  dockerConfig("auths", { auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } });
  dockerConfig("helper", { credHelpers: { [host]: "dtfake" } });
  dockerConfig("token", { credHelpers: { [host]: "dttoken" } });
  dockerConfig("broken", { credsStore: "dtbroken" });
  dockerConfig("wrongpw", { auths: { [host]: { username, password: `${password}-wrong-${HELPER_TOKEN}` } } });
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: cred\nbase_image: ${testbed().images.pybase}\nregistry: ${registryRepo()}\ndocker:\n  env: ["*_API_KEY"]\n`,
    "svc/changelog.txt": changelog("svc"),
    "svc/devops/.keep": "",
    "svc/pytest.ini": "[pytest]\nmarkers =\n    slow: slow\n    superslow: very slow\n",
    // The test sees the key (compares a hash: pytest shows source lines, never the key itself).
    "svc/tests/test_key.py": [
      "import hashlib, os",
      "",
      "def test_api_key_is_passed_in():",
      `    assert hashlib.sha256(os.environ['MY_API_KEY'].encode()).hexdigest() == '${keyHash()}'`,
      "",
    ].join("\n"),
  });
});

afterAll(async () => {
  await removeImages([`${registryRepo()}/svc`]);
  cleanupAll();
});

const svc = () => join(root, "svc");

// The dev release that the push and pull tests need, made once by whichever test asks first,
// so that each test also runs alone (`-t NAME`).
let devRelease: Promise<DtResult> | undefined;
const releaseDev = () => (devRelease ??= run("release", ["--verbose", "docker", "release", "dev", "--json"], "auths", svc()));

describe("the registry password, the API key and helper tokens are never printed", () => {
  test("build, cmd and test with the key passed in (--verbose, --json)", async () => {
    expect((await run("build", ["--verbose", "docker", "build"], "auths", svc())).code).toBe(0);
    expect((await run("build json", ["docker", "build", "--json", "--verbose"], "auths", svc())).code).toBe(0);
    const check = `[ "$(printf %s "$MY_API_KEY" | sha256sum | cut -c1-64)" = ${keyHash()} ] && echo passed-in`;
    const cmd = await run("cmd", ["--verbose", "docker", "cmd", "--", "sh", "-c", check], "auths", svc());
    expect(cmd.stdout).toBe("passed-in\n");
    const tests = await run("test", ["test", "--json", "--verbose"], "auths", svc());
    expect(tests.code).toBe(0);
    expect(JSON.parse(tests.stdout).dirs[0].counts.passed).toBe(1);
    expect((await run("test text", ["--verbose", "test"], "auths", svc())).code).toBe(0);
  });

  test("release dev, push and pull with the password from auths (--verbose, --json)", async () => {
    const release = await releaseDev();
    expect(release.code).toBe(0);
    expect(JSON.parse(release.stdout).pushed.length).toBeGreaterThan(0);
    expect((await run("push", ["--verbose", "docker", "push", "--stage", "dev", "--json"], "auths", svc())).code).toBe(0);
    expect((await run("pull", ["--verbose", "docker", "pull", "--stage", "dev", "--json"], "auths", svc())).code).toBe(0);
  });

  test("the same through a credential helper (credHelpers)", async () => {
    expect((await releaseDev()).code).toBe(0);
    expect((await run("push via helper", ["--verbose", "docker", "push", "--stage", "dev"], "helper", svc())).code).toBe(0);
    expect((await run("pull via helper", ["--verbose", "docker", "pull", "--stage", "dev", "--json"], "helper", svc())).code).toBe(0);
  });

  test("doctor and config, text and --json, with each kind of credential", async () => {
    for (const config of ["auths", "helper", "token", "broken"]) {
      const doctor = await run("doctor", ["--verbose", "doctor"], config, svc());
      expect([0, 3]).toContain(doctor.code);
      await run("doctor json", ["doctor", "--json"], config, svc());
      expect((await run("config", ["--verbose", "config"], config, svc())).code).toBe(0);
      expect((await run("config json", ["config", "--json"], config, svc())).code).toBe(0);
    }
  });

  test("errors: a wrong password, a token the registry refuses, a helper that fails printing its secret", async () => {
    // A local dev image to push, so that each push gets as far as the registry's refusal.
    expect((await releaseDev()).code).toBe(0);
    for (const config of ["wrongpw", "token", "broken"]) {
      const push = await run("push error", ["--verbose", "docker", "push", "--stage", "dev"], config, svc());
      expect({ config, code: push.code }).toEqual({ config, code: 3 });
      expect(push.stderr).toMatch(/error: .*(refused|credential helper)/);
      const pull = await run("pull error", ["--verbose", "docker", "pull", "--stage", "dev", "--json"], config, svc());
      expect(pull.code).toBe(3);
      const release = await run("release error", ["--verbose", "docker", "release", "dev", "--skip-tests", "--json"], config, svc());
      expect(release.code).not.toBe(0);
    }
  });
});

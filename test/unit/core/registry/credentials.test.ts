// Credential lookup as the Docker CLI does it: auths (base64 user:pass, identity tokens,
// https:// keys, Docker Hub's index key), credHelpers and credsStore through helper
// programs, and the rule that a secret never reaches an error.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { authSecrets, normalizeRegistryKey, redact, resolveCredentials } from "../../../../src/core/registry/credentials.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";
import { dtRejectionOf as thrown, errorText } from "../../../support/errors.ts";

afterAll(cleanupAll);

const SECRET = "s3cr3t-Pa55:with-colon";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A DOCKER_CONFIG dir holding `config`, and an env pointing at it; PATH: its bin/ (the
 * `scripts`, made executable) and the system dirs, so only these helpers can be found. */
function configEnv(config: unknown, scripts: Record<string, string> = {}) {
  const dir = testdir({ "config.json": typeof config === "string" ? config : JSON.stringify(config), "bin/": "" });
  const bin = join(dir.path, "bin");
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  }
  return { DOCKER_CONFIG: dir.path, PATH: `${bin}:/usr/bin:/bin`, HOME: dir.path };
}

describe("auths", () => {
  test("base64 user:password (the password may contain colons)", async () => {
    const env = configEnv({ auths: { "ghcr.io": { auth: b64(`alice:${SECRET}`) } } });
    expect(await resolveCredentials("ghcr.io", env)).toEqual({ username: "alice", password: SECRET, serveraddress: "ghcr.io" });
  });

  test("an https:// key and a key with a path match the bare host", async () => {
    const env = configEnv({
      auths: { "https://registry.example.com/v2/": { auth: b64(`bob:${SECRET}`) }, "https://ghcr.io": { auth: b64("c:d") } },
    });
    expect(await resolveCredentials("registry.example.com", env)).toMatchObject({ username: "bob", password: SECRET });
    expect(await resolveCredentials("ghcr.io", env)).toMatchObject({ username: "c", password: "d", serveraddress: "https://ghcr.io" });
  });

  test("Docker Hub is stored under https://index.docker.io/v1/", async () => {
    const env = configEnv({ auths: { "https://index.docker.io/v1/": { auth: b64(`hub:${SECRET}`) } } });
    const auth = await resolveCredentials("docker.io", env);
    expect(auth).toEqual({ username: "hub", password: SECRET, serveraddress: "https://index.docker.io/v1/" });
    expect(await resolveCredentials("index.docker.io", env)).toMatchObject({ username: "hub" });
  });

  test("identitytoken is returned as such, without a password", async () => {
    const env = configEnv({ auths: { "myregistry.azurecr.io": { auth: b64("00000000-0000-0000-0000-000000000000:"), identitytoken: "tok-123" } } });
    const auth = await resolveCredentials("myregistry.azurecr.io", env);
    expect(auth).toEqual({ username: "00000000-0000-0000-0000-000000000000", identitytoken: "tok-123", serveraddress: "myregistry.azurecr.io" });
  });

  test("plain username/password fields", async () => {
    const env = configEnv({ auths: { "10.0.0.5:5000": { username: "u", password: SECRET } } });
    expect(await resolveCredentials("10.0.0.5:5000", env)).toEqual({ username: "u", password: SECRET, serveraddress: "10.0.0.5:5000" });
  });

  test("no entry, an empty entry, no config file, a broken config file -> undefined", async () => {
    expect(await resolveCredentials("quay.io", configEnv({ auths: { "ghcr.io": { auth: b64("a:b") } } }))).toBeUndefined();
    expect(await resolveCredentials("ghcr.io", configEnv({ auths: { "ghcr.io": {} } }))).toBeUndefined();
    expect(await resolveCredentials("ghcr.io", configEnv("{not json"))).toBeUndefined();
    const empty = testdir();
    expect(await resolveCredentials("ghcr.io", { DOCKER_CONFIG: empty.path, PATH: "/usr/bin:/bin" })).toBeUndefined();
  });

  test("a malformed auth value is an environment error that does not show the value", async () => {
    const bad = `not base64 ${SECRET}`;
    const e = await thrown(resolveCredentials("ghcr.io", configEnv({ auths: { "ghcr.io": { auth: bad } } })));
    expect(e.exitCode).toBe(3);
    expect(e.hint).toBe("docker login ghcr.io");
    expect(errorText(e)).not.toContain(SECRET);
    const noColon = b64(SECRET.replace(/:/g, ""));
    const e2 = await thrown(resolveCredentials("ghcr.io", configEnv({ auths: { "ghcr.io": { auth: noColon } } })));
    expect(errorText(e2)).not.toContain(noColon);
    expect(errorText(e2)).not.toContain(SECRET.replace(/:/g, ""));
  });
});

// A stand-in for a real helper (docker-credential-ecr-login, -pass, -desktop, ...), which
// cannot exist here: it speaks the same protocol (server address on stdin, JSON on stdout).
const helper = (body: string) => `#!/bin/sh\nread -r server\n${body}\n`;
const okHelper = helper(
  `case "$server" in\n` +
    `  ghcr.io) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"${SECRET}"}' "$server" ;;\n` +
    `  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"id-tok-9"}' "$server" ;;\n` +
    `  *) echo "credentials not found in native keychain"; exit 1 ;;\n` +
    `esac`,
);

describe("credential helpers", () => {
  test("credHelpers[host] runs docker-credential-NAME get with the host on stdin", async () => {
    const env = configEnv(
      { credHelpers: { "ghcr.io": "dttest" }, auths: { "ghcr.io": { auth: b64("file:ignored") } } },
      { "docker-credential-dttest": okHelper },
    );
    expect(await resolveCredentials("ghcr.io", env)).toEqual({ username: "helper-user", password: SECRET, serveraddress: "ghcr.io" });
  });

  test("Username <token> means the Secret is an identity token; Docker Hub is asked by its index URL", async () => {
    const env = configEnv({ credHelpers: { "docker.io": "dttest" } }, { "docker-credential-dttest": okHelper });
    expect(await resolveCredentials("docker.io", env)).toEqual({ identitytoken: "id-tok-9", serveraddress: "https://index.docker.io/v1/" });
  });

  test("credsStore: used for every host; 'not found' falls back to auths, then undefined", async () => {
    const env = configEnv(
      { credsStore: "dttest", auths: { "quay.io": { auth: b64("q:qq") } } },
      { "docker-credential-dttest": okHelper },
    );
    expect(await resolveCredentials("ghcr.io", env)).toMatchObject({ username: "helper-user", password: SECRET });
    expect(await resolveCredentials("quay.io", env)).toMatchObject({ username: "q", password: "qq" });
    expect(await resolveCredentials("example.com", env)).toBeUndefined();
  });

  test("credHelpers wins over credsStore", async () => {
    const env = configEnv(
      { credsStore: "broken", credHelpers: { "ghcr.io": "dttest" } },
      { "docker-credential-dttest": okHelper },
    );
    expect(await resolveCredentials("ghcr.io", env)).toMatchObject({ username: "helper-user" });
  });

  test("a missing helper: environment error naming the helper and the host", async () => {
    const env = configEnv({ credHelpers: { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" } });
    const e = await thrown(resolveCredentials("123456789012.dkr.ecr.eu-west-1.amazonaws.com", env));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("docker-credential-ecr-login");
    expect(e.message).toContain("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    expect(e.hint).toContain("docker login 123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  });

  test("a failing helper: exit code in the error, none of its output", async () => {
    const env = configEnv(
      { credHelpers: { "ghcr.io": "dttest" } },
      { "docker-credential-dttest": helper(`echo "token ${SECRET} expired" >&2; echo "${SECRET}"; exit 7`) },
    );
    const e = await thrown(resolveCredentials("ghcr.io", env));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("docker-credential-dttest");
    expect(e.message).toContain("ghcr.io");
    expect(e.message).toContain("exit code 7");
    expect(errorText(e)).not.toContain(SECRET);
  });

  test("a helper printing something that is not JSON: error without the output", async () => {
    const env = configEnv({ credHelpers: { "ghcr.io": "dttest" } }, { "docker-credential-dttest": helper(`echo "{${SECRET}"`) });
    const e = await thrown(resolveCredentials("ghcr.io", env));
    expect(e.exitCode).toBe(3);
    expect(errorText(e)).not.toContain(SECRET);
  });
});

describe("redact", () => {
  test("replaces every occurrence, longest secret first", () => {
    expect(redact("a=hunter2 b=hunter2 c=hunter22", ["hunter2", "hunter22"])).toBe("a=*** b=*** c=***");
    expect(redact("nothing here", [undefined, "", null])).toBe("nothing here");
  });

  test("authSecrets covers the password, the Basic header value and the identity token", () => {
    const secrets = authSecrets({ username: "u", password: SECRET, serveraddress: "x" });
    const header = `Authorization: Basic ${b64(`u:${SECRET}`)}`;
    expect(redact(header, secrets)).toBe("Authorization: Basic ***");
    expect(redact("tok=abc-123", authSecrets({ identitytoken: "abc-123", serveraddress: "x" }))).toBe("tok=***");
    expect(authSecrets(undefined)).toEqual([]);
  });

  test("normalizeRegistryKey", () => {
    expect(normalizeRegistryKey("https://index.docker.io/v1/")).toBe("docker.io");
    expect(normalizeRegistryKey("http://127.0.0.1:5000/v2/")).toBe("127.0.0.1:5000");
    expect(normalizeRegistryKey("GHCR.io")).toBe("ghcr.io");
  });
});

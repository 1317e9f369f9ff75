// Registry credentials, found the way the Docker CLI finds them: a per-registry credential
// helper (`credHelpers`), else the default store (`credsStore`), else `auths` in config.json.
// Nothing here prints; a secret never goes into an error's message, hint or cause.
import { dockerConfigFile, readDockerConfig, type DockerConfigFile } from "./docker-config.ts";
import { envError } from "../base/errors.ts";
import { run } from "../base/process.ts";

/** Credentials for one registry, in the shape dockerode's `authconfig` (X-Registry-Auth) takes. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (what `docker login` stores for some registries), used instead of a password. */
  identitytoken?: string;
  serveraddress: string;
}

/** The key Docker Hub's credentials are stored under. */
const DOCKER_HUB_INDEX = "https://index.docker.io/v1/";

const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** The username a credential helper reports when Secret is an identity token. */
const TOKEN_USERNAME = "<token>";

/** `https://ghcr.io/v2/` -> `ghcr.io`: how the Docker CLI compares `auths` keys with a host. */
export function normalizeRegistryKey(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0]!.toLowerCase();
  return DOCKER_HUB_HOSTS.has(host) ? "docker.io" : host;
}

/** The server address a credential helper is asked about for `host` (Docker Hub has its own). */
const helperServerAddress = (host: string) =>
  normalizeRegistryKey(host) === "docker.io" ? DOCKER_HUB_INDEX : host;

/**
 * The credentials for `host` (`ghcr.io`, `127.0.0.1:5000`, `docker.io`), or undefined when
 * none are configured. Reads `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`)
 * and runs credential helpers found on `env.PATH`. Throws an environment error (exit 3) when
 * a configured helper is missing or fails, or an `auths` entry is malformed.
 */
export async function resolveCredentials(
  host: string,
  env: Record<string, string | undefined> = process.env,
): Promise<RegistryAuth | undefined> {
  const config = readDockerConfig(env);
  const target = normalizeRegistryKey(host);
  const helper = findHelper(config, target);
  if (helper) return helperGet(helper, host, env);
  if (config.credsStore) {
    const fromStore = await helperGet(config.credsStore, host, env);
    if (fromStore) return fromStore;
    // The Docker CLI stops here; falling back to a plain `auths` entry is harmless and
    // helps when a login was made with another config.
  }
  return fromAuths(config, host, env);
}

function findHelper(config: DockerConfigFile, target: string): string | undefined {
  const helpers = config.credHelpers ?? {};
  for (const [key, name] of Object.entries(helpers)) {
    if (name && normalizeRegistryKey(key) === target) return name;
  }
  return undefined;
}

function fromAuths(
  config: DockerConfigFile,
  host: string,
  env: Record<string, string | undefined>,
): RegistryAuth | undefined {
  const auths = config.auths ?? {};
  const target = normalizeRegistryKey(host);
  const exact = target === "docker.io" ? [DOCKER_HUB_INDEX, "docker.io", "index.docker.io"] : [host, `https://${host}`, `http://${host}`];
  const key =
    exact.find((k) => auths[k] !== undefined) ?? Object.keys(auths).find((k) => normalizeRegistryKey(k) === target);
  if (key === undefined) return undefined;
  const entry = auths[key] ?? {};
  let username = entry.username || undefined;
  let password = entry.password || undefined;
  if (entry.auth) {
    const decoded = decodeBasic(entry.auth);
    if (!decoded) {
      throw envError(
        `the credentials for ${host} in ${dockerConfigFile(env)} are malformed ` +
          "(auths.auth is not base64 of user:password)",
        { hint: `docker login ${host}` },
      );
    }
    [username, password] = decoded;
  }
  const identitytoken = entry.identitytoken || undefined;
  if (!identitytoken && !password) return undefined;
  const auth: RegistryAuth = { serveraddress: key };
  if (username) auth.username = username;
  if (identitytoken) auth.identitytoken = identitytoken;
  else if (password) auth.password = password;
  return auth;
}

/** base64("user:password") -> [user, password]; undefined when it is not that. */
function decodeBasic(value: string): [string, string] | undefined {
  const clean = value.trim();
  if (!/^[A-Za-z0-9+/=_-]+$/.test(clean)) return undefined;
  const text = Buffer.from(clean, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  return [text.slice(0, colon), text.slice(colon + 1)];
}

interface HelperOutput {
  ServerURL?: unknown;
  Username?: unknown;
  Secret?: unknown;
}

/** `docker-credential-NAME get` with the server address on stdin (the helper protocol). */
async function helperGet(
  name: string,
  host: string,
  env: Record<string, string | undefined>,
): Promise<RegistryAuth | undefined> {
  const program = `docker-credential-${name}`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw envError(`credential helper name '${name}' for ${host} in config.json is not valid`, {
      hint: `fix credHelpers/credsStore in ${dockerConfigFile(env)}`,
    });
  }
  const path = Bun.which(program, { PATH: env.PATH ?? "" });
  if (!path) {
    throw envError(`credential helper ${program} (configured for ${host}) is not installed or not on PATH`, {
      hint: `install ${program}, or remove it from ${dockerConfigFile(env)} and run: docker login ${host}`,
    });
  }
  const address = helperServerAddress(host);
  let result;
  try {
    result = await run([path, "get"], { stdin: `${address}\n`, env: { ...env } });
  } catch {
    throw envError(`credential helper ${program} could not be started for ${host}`, {
      hint: `check that ${program} runs: echo ${address} | ${program} get`,
    });
  }
  if (result.code !== 0) {
    // The helper protocol's answer for "no entry"; everything else is a failure. Neither its
    // stdout nor its stderr goes into the error: a broken helper may print secrets.
    if (/credentials not found/i.test(result.stdout) || /credentials not found/i.test(result.stderr)) return undefined;
    throw envError(`credential helper ${program} failed for ${host} (exit code ${result.code})`, {
      hint: `check that ${program} works (echo ${address} | ${program} get), or run: docker login ${host}`,
    });
  }
  let parsed: HelperOutput;
  try {
    parsed = JSON.parse(result.stdout) as HelperOutput;
  } catch {
    throw envError(`credential helper ${program} returned something that is not JSON for ${host}`, {
      hint: `check that ${program} works (echo ${address} | ${program} get)`,
    });
  }
  if (parsed === null || typeof parsed !== "object") {
    throw envError(`credential helper ${program} returned something that is not a credential for ${host}`, {
      hint: `check that ${program} works (echo ${address} | ${program} get)`,
    });
  }
  const secret = typeof parsed.Secret === "string" ? parsed.Secret : "";
  const username = typeof parsed.Username === "string" ? parsed.Username : "";
  const serveraddress = typeof parsed.ServerURL === "string" && parsed.ServerURL ? parsed.ServerURL : address;
  if (!secret) return undefined;
  if (username === TOKEN_USERNAME) return { identitytoken: secret, serveraddress };
  return username ? { username, password: secret, serveraddress } : { password: secret, serveraddress };
}

/** The strings of `auth` that must never be printed: password, token and the Basic header value. */
export function authSecrets(auth: RegistryAuth | undefined): string[] {
  if (!auth) return [];
  const secrets: string[] = [];
  if (auth.password) {
    secrets.push(auth.password);
    secrets.push(Buffer.from(`${auth.username ?? ""}:${auth.password}`).toString("base64"));
  }
  if (auth.identitytoken) secrets.push(auth.identitytoken);
  return secrets;
}

/**
 * `text` with every occurrence of every secret replaced by `***`. Callers scrub anything that
 * might carry a credential (a registry's or engine's message, a child's stderr) before printing.
 * Longer secrets are replaced first, so one that contains another is still hidden whole.
 */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  let out = text;
  for (const secret of list) out = out.split(secret).join("***");
  return out;
}

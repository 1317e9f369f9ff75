import { join } from "node:path";
import { readText } from "../base/fs-util.ts";
import { homeDir } from "../base/home.ts";

/** The parts of the Docker CLI's config.json that dt reads. */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Where the Docker CLI keeps config.json; undefined without DOCKER_CONFIG or a home (then there is none). */
export function dockerConfigDir(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  const home = homeDir(env);
  return home === undefined ? undefined : join(home, ".docker");
}

/** config.json as messages name it. */
export const dockerConfigFile = (env: Record<string, string | undefined> = process.env) => join(dockerConfigDir(env) ?? "~/.docker", "config.json");

export function readDockerConfig(env: Record<string, string | undefined> = process.env): DockerConfigFile {
  const dir = dockerConfigDir(env);
  if (dir === undefined) return {};
  const text = readText(join(dir, "config.json"));
  if (!text) return {};
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    return {};
  }
}

/** The registry host of an image or registry prefix: `ghcr.io/acme` -> `ghcr.io`. */
export function registryHost(prefix: string): string {
  const first = prefix.split("/")[0]!;
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
}

/** How credentials for a registry would be found, without reading them. */
export function credentialSource(host: string, config: DockerConfigFile): string | undefined {
  if (config.credHelpers?.[host]) return `credential helper docker-credential-${config.credHelpers[host]}`;
  const keys = host === "docker.io" ? ["https://index.docker.io/v1/", "docker.io", "index.docker.io"] : [host, `https://${host}`];
  if (keys.some((k) => config.auths?.[k])) return config.credsStore ? `credsStore ${config.credsStore}` : "auths in config.json";
  if (config.credsStore) return `credsStore docker-credential-${config.credsStore}`;
  return undefined;
}

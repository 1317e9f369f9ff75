import { homedir } from "node:os";
import { join } from "node:path";
import { readText } from "../base/fs-util.ts";

/** The parts of the Docker CLI's config.json that dt reads. */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export const dockerConfigDir = (env = process.env) => env.DOCKER_CONFIG || join(homedir(), ".docker");

export function readDockerConfig(env = process.env): DockerConfigFile {
  const text = readText(join(dockerConfigDir(env), "config.json"));
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

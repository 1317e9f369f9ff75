import type Docker from "dockerode";
import { envError } from "./errors.ts";

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  host: string;
}

export const engineHost = (env = process.env) => env.DOCKER_HOST || "unix:///var/run/docker.sock";

const START_HINT =
  "start the Docker engine (e.g. 'sudo systemctl start docker', or 'sudo dockerd &'), or point DOCKER_HOST at one";

/** dockerode, loaded on first use only: `dt --help` and friends never pay for it. */
export async function connect(options: { timeoutMs?: number } = {}): Promise<Docker> {
  const { default: Dockerode } = await import("dockerode");
  return new Dockerode(options.timeoutMs ? { timeout: options.timeoutMs } : undefined);
}

/** The engine's version and platform, or an environment error (exit 3) saying how to start it. */
export async function engineInfo(options: { timeoutMs?: number } = {}): Promise<EngineInfo> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const docker = await connect({ timeoutMs });
  const host = engineHost();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { version: version.Version, apiVersion: version.ApiVersion, os: version.Os, arch: version.Arch, host };
  } catch (cause) {
    const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw envError(`the Docker engine at ${host} is not reachable (${reason})`, { hint: START_HINT, cause });
  } finally {
    clearTimeout(timer);
  }
}

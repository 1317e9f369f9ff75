import type { Engine } from "./engine.ts";
import { checkEngineHost } from "./engine-host.ts";

/**
 * The engine dt talks to (DOCKER_HOST, else the default socket). Nothing heavy loads here:
 * dockerode is imported on the first call that needs it.
 */
export async function connectEngine(): Promise<Engine> {
  return connectEngineAt(checkEngineHost());
}

/** The engine at `host` (DOCKER_HOST syntax), such as a builder of dt.yaml. */
export async function connectEngineAt(host: string): Promise<Engine> {
  const { DockerEngine } = await import("./docker-engine.ts");
  return new DockerEngine(host);
}

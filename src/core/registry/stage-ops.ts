import type Docker from "dockerode";
import { connect, inspectImage } from "../engine/engine.ts";
import { envError, usageError } from "../base/errors.ts";
import type { Stage } from "../workspace/image-ref.ts";
import { hostPlatform } from "../base/platform.ts";
import { authFor, destinations, publish, tagLocal, type Destination, type PublishEvent } from "../release/release.ts";
import { loadTarget, type Target } from "../workspace/target.ts";
import { pullImage } from "./transfer.ts";

export interface RegistryOpOptions {
  cwd: string;
  dir?: string;
  stage: Stage;
  version?: string;
  registry?: string;
}

/** Steps and transfer progress: what a release publishes too. */
export type OpEvent = PublishEvent;

export interface OpResult {
  dir: string;
  image: string;
  tags: { repository: string; tag: string; digest: string | null }[];
}

/** `dt docker push`: the stage's versioned and floating tags to the registry, with progress. */
export async function pushStage(options: RegistryOpOptions, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  const [target, docker] = await Promise.all([loadTarget(options.cwd, options.dir), connect()]);
  const ref = target.ref(options.stage, options.version);
  const d = destinations(target, options.registry ? [options.registry] : undefined)[0]!;
  const source = `${ref.repository}:${ref.versionedTag}`;
  if (!(await inspectImage(docker, source))) {
    throw envError(`image ${source} does not exist on this engine`, {
      hint: options.stage === "local" ? "dt docker build" : options.stage === "prod" ? "dt docker build --stage prod" : "dt docker release dev (builds, tests and pushes)",
    });
  }
  // One platform, the host's: the image as it is on this engine, published as a release would.
  const native = hostPlatform();
  const pushed = await publish(docker, [d], ref, [native], new Map([[native, source]]), onEvent);
  return { dir: target.path, image: source, tags: pushed.map(({ repository, tag, digest }) => ({ repository, tag, digest })) };
}

/** Pulls `dest.repository:tag` and names it as dt's local naming expects. */
async function pullAs(docker: Docker, d: Destination, localRepository: string, tag: string, onEvent: (e: OpEvent) => void) {
  const remote = `${d.repository}:${tag}`;
  onEvent({ kind: "step", text: `pull ${remote}` });
  await pullImage(docker, remote, await authFor(d.host), { onProgress: (progress) => onEvent({ kind: "transfer", what: remote, progress }) });
  if (d.repository !== localRepository) await tagLocal(docker, remote, localRepository, tag);
}

/** `dt docker pull`: the floating tag (or `--version`'s) of a stage, with progress. */
export async function pullStage(options: RegistryOpOptions, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  if (options.stage === "local") throw usageError("local images are built here, not pulled", { hint: "dt docker build, or pull --stage dev" });
  const [target, docker] = await Promise.all([loadTarget(options.cwd, options.dir), connect()]);
  const ref = target.ref(options.stage, options.version);
  const d = destinations(target, options.registry ? [options.registry] : undefined)[0]!;
  const tag = options.version ? ref.versionedTag : ref.floatingTag;
  await pullAs(docker, d, ref.repository, tag, onEvent);
  const info = await inspectImage(docker, `${ref.repository}:${tag}`);
  return { dir: target.path, image: `${ref.repository}:${tag}`, tags: [{ repository: d.repository, tag, digest: info?.RepoDigests?.[0]?.split("@")[1] ?? null }] };
}

/**
 * Pulls a missing dev/prod image before a run (SPEC: dt pulls when the stage is dev or prod and
 * the image is absent, or with --pull). Returns false when no registry is configured.
 */
export async function pullForRun(docker: Docker, target: Target, stage: Stage, tag: string, onEvent: (e: OpEvent) => void = () => {}): Promise<boolean> {
  if (stage === "local" || !target.resolved.config.registry) return false;
  const d = destinations(target, undefined)[0]!;
  await pullAs(docker, d, target.ref(stage).repository, tag, onEvent);
  return true;
}

/** `dt docker rollback`: the floating tag back to version V, in the registry and locally. */
export async function rollback(options: RegistryOpOptions & { version: string }, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  if (options.stage === "local") throw usageError("rollback is for released stages", { hint: "use dev or prod" });
  const [target, docker] = await Promise.all([loadTarget(options.cwd, options.dir), connect()]);
  const ref = target.ref(options.stage, options.version);
  const result: OpResult = { dir: target.path, image: `${ref.repository}:${ref.floatingTag}`, tags: [] };
  for (const d of destinations(target, options.registry ? [options.registry] : undefined)) {
    onEvent({ kind: "step", text: `${d.repository}:${ref.floatingTag} -> ${ref.versionedTag}` });
    const digest = await d.client.copyTag(d.path, ref.versionedTag, ref.floatingTag);
    result.tags.push({ repository: d.repository, tag: ref.floatingTag, digest });
    const local = `${ref.repository}:${ref.versionedTag}`;
    if (!(await inspectImage(docker, local))) await pullAs(docker, d, ref.repository, ref.versionedTag, onEvent);
    await tagLocal(docker, local, ref.repository, ref.floatingTag);
  }
  return result;
}

import { envError, usageError } from "../base/errors.ts";
import { hostPlatform } from "../base/platform.ts";
import type { Engine } from "../engine/engine.ts";
import { LABEL, type Stage } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import { destinations, type Destination } from "./destinations.ts";
import semver from "semver";
import { authFor, publish, type PublishEvent, type ReleasedTag } from "./publish.ts";
import { NotInRegistryError, pullImage } from "./transfer.ts";

export interface StageOpOptions {
  stage: Stage;
  version?: string;
  /** A name of registries: in dt.yaml; default registry:. */
  registry?: string;
}

/** Steps and transfer progress: what a release publishes too. */
export type OpEvent = PublishEvent;

export interface OpResult {
  dir: string;
  image: string;
  tags: { repository: string; tag: string; digest: string | null }[];
  /** Floating tags this operation pointed elsewhere (push of an older --version moves them back). */
  moved: { repository: string; tag: string; from: string | null; to: string }[];
}

/** The floating tags that now point at another image than before (a new one counts too). */
const movedOf = (tags: readonly ReleasedTag[], version: string): OpResult["moved"] =>
  tags
    .filter((t) => t.previous !== undefined && t.previous?.digest !== t.digest)
    .map((t) => ({ repository: t.repository, tag: t.tag, from: t.previous ? (t.previous.version ?? t.previous.digest) : null, to: version }));

const destinationOf = (target: Target, registry: string | undefined, purpose?: "pull from") => destinations(target, registry ? [registry] : undefined, purpose)[0]!;

/** `dt docker push`: the stage's versioned and floating tags to the registry, with progress. */
export async function pushStage(engine: Engine, target: Target, options: StageOpOptions, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  const ref = target.ref(options.stage, options.version);
  const d = destinationOf(target, options.registry);
  const source = `${ref.repository}:${ref.versionedTag}`;
  if (!(await engine.inspectImage(source))) {
    throw envError(`image ${source} does not exist on this engine`, {
      hint: options.stage === "local" ? "dt docker build" : options.stage === "prod" ? "dt docker build --stage prod" : "dt docker release dev (builds, tests and pushes)",
    });
  }
  // One platform, the host's: the image as it is on this engine, published as a release would.
  const native = hostPlatform();
  const pushed = await publish([d], ref, [native], new Map([[native, { engine, image: source }]]), onEvent);
  return { dir: target.path, image: source, tags: pushed.map(({ repository, tag, digest }) => ({ repository, tag, digest })), moved: movedOf(pushed, ref.version) };
}

/** Pulls `dest.repository:tag` and names it as dt's local naming expects. */
async function pullAs(engine: Engine, d: Destination, localRepository: string, tag: string, onEvent: (e: OpEvent) => void) {
  const remote = `${d.repository}:${tag}`;
  onEvent({ kind: "step", text: `pull ${remote}` });
  try {
    await pullImage(engine, remote, await authFor(d.host), { onProgress: (progress) => onEvent({ kind: "transfer", what: remote, progress }) });
  } catch (e) {
    // A stage's tags come from its release: say which one makes the missing image.
    const stage = /^(dev|prod)(-|$)/.exec(tag)?.[1];
    if (e instanceof NotInRegistryError && stage) throw new NotInRegistryError(e.reference, e.registry, e.detail, `dt docker release ${stage} (or pick a released --version)`);
    throw e;
  }
  if (d.repository !== localRepository) await engine.tagImage(remote, localRepository, tag);
  onEvent({ kind: "done", text: `pulled ${remote}` });
}

/** `dt docker pull`: the floating tag (or `--version`'s) of a stage, with progress. */
export async function pullStage(engine: Engine, target: Target, options: StageOpOptions, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  if (options.stage === "local") throw usageError("local images are built here, not pulled", { hint: "dt docker build, or pull --stage dev" });
  const ref = target.ref(options.stage, options.version);
  const d = destinationOf(target, options.registry, "pull from");
  const tag = options.version ? ref.versionedTag : ref.floatingTag;
  await pullAs(engine, d, ref.repository, tag, onEvent);
  const info = await engine.inspectImage(`${ref.repository}:${tag}`);
  return { dir: target.path, image: `${ref.repository}:${tag}`, tags: [{ repository: d.repository, tag, digest: info?.RepoDigests?.[0]?.split("@")[1] ?? null }], moved: [] };
}

/**
 * Pulls a missing dev/prod image before a run (SPEC: dt pulls when the stage is dev or prod and
 * the image is absent, or with --pull). Returns false when no registry is configured.
 */
export async function pullForRun(engine: Engine, target: Target, stage: Stage, tag: string, onEvent: (e: OpEvent) => void = () => {}): Promise<boolean> {
  if (stage === "local" || !target.resolved.config.registry) return false;
  await pullAs(engine, destinationOf(target, undefined), target.ref(stage).repository, tag, onEvent);
  return true;
}

/** The released versions of a stage in a registry (`dev-X.Y.Z` tags), newest first. */
async function releasedVersions(d: Destination, stage: Stage): Promise<string[]> {
  const prefix = `${stage}-`;
  const versions = (await d.client.listTags(d.path)).filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length)).filter((v) => semver.valid(v));
  return versions.sort(semver.rcompare);
}

/** `dt docker rollback`: the floating tag back to version V, in the registry and locally. */
export async function rollback(engine: Engine, target: Target, options: StageOpOptions & { version: string }, onEvent: (e: OpEvent) => void = () => {}): Promise<OpResult> {
  if (options.stage === "local") throw usageError("rollback is for released stages", { hint: "use dev or prod" });
  const ref = target.ref(options.stage, options.version);
  const result: OpResult = { dir: target.path, image: `${ref.repository}:${ref.floatingTag}`, tags: [], moved: [] };
  for (const d of destinations(target, options.registry ? [options.registry] : undefined)) {
    if (!(await d.client.headManifest(d.path, ref.versionedTag))) {
      const versions = await releasedVersions(d, options.stage);
      throw envError(`${d.repository}:${ref.versionedTag} does not exist in the registry: ${versions.length ? `the released ${options.stage} ${versions.length === 1 ? "version is" : "versions are"} ${versions.join(", ")}` : `${target.path} has no ${options.stage} release there`}`, {
        hint: versions.length ? `dt docker rollback ${options.stage} --version ${versions[0]}` : `dt docker release ${options.stage}`,
      });
    }
    onEvent({ kind: "step", text: `${d.repository}:${ref.floatingTag} -> ${ref.versionedTag}` });
    const before = await d.client.headManifest(d.path, ref.floatingTag);
    const beforeVersion = before ? ((await d.client.imageLabels(d.path, ref.floatingTag))?.[LABEL.version] ?? before.digest) : null;
    const digest = await d.client.copyTag(d.path, ref.versionedTag, ref.floatingTag);
    result.tags.push({ repository: d.repository, tag: ref.floatingTag, digest });
    const moved = before?.digest !== digest;
    if (moved) result.moved.push({ repository: d.repository, tag: ref.floatingTag, from: beforeVersion, to: options.version });
    onEvent({ kind: "done", text: moved ? `${d.repository}:${ref.floatingTag} moved from ${beforeVersion ?? "nothing"} to ${options.version}` : `${d.repository}:${ref.floatingTag} already pointed at ${options.version}` });
    const local = `${ref.repository}:${ref.versionedTag}`;
    if (!(await engine.inspectImage(local))) await pullAs(engine, d, ref.repository, ref.versionedTag, onEvent);
    await engine.tagImage(local, ref.repository, ref.floatingTag);
  }
  return result;
}

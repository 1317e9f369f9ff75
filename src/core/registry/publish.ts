import { workError } from "../base/errors.ts";
import { platformTagSuffix } from "../base/platform.ts";
import { onItsEngine } from "../build/builders.ts";
import type { AuthConfig, Engine } from "../engine/engine.ts";
import { LABEL, type ImageRef } from "../workspace/image-ref.ts";
import type { IndexEntry } from "./manifest.ts";
import { resolveCredentials } from "./credentials.ts";
import type { Destination } from "./destinations.ts";
import { pushImage, type TransferProgress } from "./transfer.ts";

/** What publishing reports: a step started (`step`) and succeeded (`done`), and each push's progress. */
export type PublishEvent = { kind: "step"; text: string } | { kind: "done"; text: string } | { kind: "transfer"; what: string; progress: TransferProgress };

export interface ReleasedTag {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  /**
   * A floating tag only: what it pointed at before, null when it is new. It moved when the
   * digest differs; `version` is that image's version label (null when it has none).
   */
  previous?: { digest: string; version: string | null } | null;
}

/** The floating tag's image before it is pointed elsewhere, to say what moved. */
async function floatingBefore(d: Destination, tag: string): Promise<ReleasedTag["previous"]> {
  const head = await d.client.headManifest(d.path, tag);
  if (!head) return null;
  const labels = await d.client.imageLabels(d.path, tag);
  return { digest: head.digest, version: labels?.[LABEL.version] ?? null };
}

/** How a floating tag's move reads: `dev: 0.1.1 -> 0.1.0`, `dev: new at 0.1.0`, or unchanged. */
export function describeFloating(t: ReleasedTag, version: string): string {
  const name = `${t.repository}:${t.tag}`;
  if (t.previous === null) return `${name} now points at ${version} (new)`;
  if (!t.previous || t.previous.digest === t.digest) return `${name} already pointed at ${version}`;
  return `${name} moved from ${t.previous.version ?? t.previous.digest.slice(0, 19)} to ${version}`;
}

/** In the registry, one platform is the tag itself; several are pushed as TAG-os-arch and joined. */
export const registrySuffix = (platform: string, platforms: readonly string[]) => (platforms.length > 1 ? platformTagSuffix(platform) : "");

export async function authFor(host: string) {
  return (await resolveCredentials(host)) ?? undefined;
}

/** A built image and the engine that holds it: it is pushed from there. */
export interface BuiltImage {
  engine: Engine;
  image: string;
  /** The builder of dt.yaml that engine is, named in errors; null or absent for the local engine. */
  builder?: string | null;
}

/** Pushes one platform's image from its engine; a builder's failure names the builder. */
const pushFrom = (platform: string, b: BuiltImage, repository: string, tag: string, auth: AuthConfig | undefined, onEvent: (e: PublishEvent) => void) =>
  onItsEngine({ platform, engine: b.engine, builder: b.builder ?? null }, () =>
    pushImage(b.engine, repository, tag, auth, (progress) => onEvent({ kind: "transfer", what: `${repository}:${tag}`, progress })),
  );

/**
 * Pushes `repository:tag` of every platform, each from the engine that built it, and, for
 * several platforms, writes the manifest list under the tag once all are in the registry.
 * Returns the digest the tag ends up at.
 */
async function pushPlatforms(
  d: Destination,
  tag: string,
  platforms: string[],
  built: ReadonlyMap<string, BuiltImage>,
  onEvent: (e: PublishEvent) => void,
): Promise<string> {
  const auth = await authFor(d.host);
  if (platforms.length === 1) {
    onEvent({ kind: "step", text: `push ${d.repository}:${tag}` });
    const { digest } = await pushFrom(platforms[0]!, built.get(platforms[0]!)!, d.repository, tag, auth, onEvent);
    const pushed = digest ?? (await d.client.headManifest(d.path, tag))!.digest;
    onEvent({ kind: "done", text: `pushed ${d.repository}:${tag}` });
    return pushed;
  }
  // Each engine pushes its own platform, all at once: builders are usually other machines.
  const entries: IndexEntry[] = await Promise.all(
    platforms.map(async (platform) => {
      const platformTag = `${tag}${platformTagSuffix(platform)}`;
      onEvent({ kind: "step", text: `push ${d.repository}:${platformTag}` });
      await pushFrom(platform, built.get(platform)!, d.repository, platformTag, auth, onEvent);
      onEvent({ kind: "done", text: `pushed ${d.repository}:${platformTag}` });
      const head = await d.client.headManifest(d.path, platformTag);
      if (!head) throw workError(`${d.repository}:${platformTag} is not in the registry after its push`);
      const [os, architecture, variant] = platform.split("/");
      return { digest: head.digest, size: head.size, mediaType: head.mediaType, platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) } };
    }),
  );
  onEvent({ kind: "step", text: `write the manifest list ${d.repository}:${tag} (${platforms.join(", ")})` });
  return d.client.putIndex(d.path, tag, entries);
}

/**
 * Tags each platform's built image (`built`: platform → image and its engine) for every
 * destination, on that engine, and pushes: the versioned tag (a manifest list when there are
 * several platforms), then the floating tag pointed at it in the registry. Local floating tags
 * move only once every destination has the release, and local versioned tags this call made
 * are taken back if a push fails: a failed release leaves no stage tag that `dt docker cmd
 * --stage` would run.
 */
export async function publish(
  dests: Destination[],
  ref: ImageRef,
  platforms: string[],
  built: ReadonlyMap<string, BuiltImage>,
  onEvent: (e: PublishEvent) => void,
): Promise<ReleasedTag[]> {
  const pushed: ReleasedTag[] = [];
  const made: { engine: Engine; name: string }[] = [];
  try {
    for (const d of dests) {
      for (const p of platforms) {
        const { engine, image } = built.get(p)!;
        const tag = `${ref.versionedTag}${registrySuffix(p, platforms)}`;
        if (!(await engine.inspectImage(`${d.repository}:${tag}`))) made.push({ engine, name: `${d.repository}:${tag}` });
        await engine.tagImage(image, d.repository, tag);
      }
      const digest = await pushPlatforms(d, ref.versionedTag, platforms, built, onEvent);
      pushed.push({ registry: d.host, repository: d.repository, tag: ref.versionedTag, digest });
      onEvent({ kind: "step", text: `point ${d.repository}:${ref.floatingTag} at ${ref.versionedTag}` });
      const previous = await floatingBefore(d, ref.floatingTag);
      const floatingDigest = await d.client.copyTag(d.path, ref.versionedTag, ref.floatingTag);
      const floating: ReleasedTag = { registry: d.host, repository: d.repository, tag: ref.floatingTag, digest: floatingDigest, previous };
      pushed.push(floating);
      onEvent({ kind: "done", text: describeFloating(floating, ref.version) });
    }
  } catch (e) {
    for (const { engine, name } of made) await engine.removeImage(name).catch(() => {});
    throw e;
  }
  for (const d of dests) {
    for (const p of platforms) {
      const { engine, image } = built.get(p)!;
      await engine.tagImage(image, d.repository, `${ref.floatingTag}${registrySuffix(p, platforms)}`);
    }
  }
  return pushed;
}

import { workError } from "../base/errors.ts";
import { platformTagSuffix } from "../base/platform.ts";
import type { Engine } from "../engine/engine.ts";
import type { ImageRef } from "../workspace/image-ref.ts";
import type { IndexEntry } from "./manifest.ts";
import { resolveCredentials } from "./credentials.ts";
import type { Destination } from "./destinations.ts";
import { pushImage, type TransferProgress } from "./transfer.ts";

/** What publishing reports: steps, and the progress of each push. */
export type PublishEvent = { kind: "step"; text: string } | { kind: "transfer"; what: string; progress: TransferProgress };

export interface ReleasedTag {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

/** In the registry, one platform is the tag itself; several are pushed as TAG-os-arch and joined. */
export const registrySuffix = (platform: string, platforms: readonly string[]) => (platforms.length > 1 ? platformTagSuffix(platform) : "");

export async function authFor(host: string) {
  return (await resolveCredentials(host)) ?? undefined;
}

/**
 * Pushes `repository:tag` for every platform image and, for several platforms, writes the
 * manifest list under the tag. Returns the digest the tag ends up at.
 */
async function pushPlatforms(engine: Engine, d: Destination, tag: string, platforms: string[], onEvent: (e: PublishEvent) => void): Promise<string> {
  const auth = await authFor(d.host);
  if (platforms.length === 1) {
    onEvent({ kind: "step", text: `push ${d.repository}:${tag}` });
    const { digest } = await pushImage(engine, d.repository, tag, auth, (progress) => onEvent({ kind: "transfer", what: `${d.repository}:${tag}`, progress }));
    return digest ?? (await d.client.headManifest(d.path, tag))!.digest;
  }
  const entries: IndexEntry[] = [];
  for (const platform of platforms) {
    const platformTag = `${tag}${platformTagSuffix(platform)}`;
    onEvent({ kind: "step", text: `push ${d.repository}:${platformTag}` });
    await pushImage(engine, d.repository, platformTag, auth, (progress) => onEvent({ kind: "transfer", what: `${d.repository}:${platformTag}`, progress }));
    const head = await d.client.headManifest(d.path, platformTag);
    if (!head) throw workError(`${d.repository}:${platformTag} is not in the registry after its push`);
    const [os, architecture, variant] = platform.split("/");
    entries.push({ digest: head.digest, size: head.size, mediaType: head.mediaType, platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) } });
  }
  onEvent({ kind: "step", text: `write the manifest list ${d.repository}:${tag} (${platforms.join(", ")})` });
  return d.client.putIndex(d.path, tag, entries);
}

/**
 * Tags each platform's built image (`built`: platform → local image) for every destination and
 * pushes: the versioned tag (a manifest list when there are several platforms), then the
 * floating tag pointed at it in the registry.
 */
export async function publish(
  engine: Engine,
  dests: Destination[],
  ref: ImageRef,
  platforms: string[],
  built: ReadonlyMap<string, string>,
  onEvent: (e: PublishEvent) => void,
): Promise<ReleasedTag[]> {
  const pushed: ReleasedTag[] = [];
  for (const d of dests) {
    for (const p of platforms) {
      const suffix = registrySuffix(p, platforms);
      for (const tag of [ref.versionedTag, ref.floatingTag]) await engine.tagImage(built.get(p)!, d.repository, `${tag}${suffix}`);
    }
    const digest = await pushPlatforms(engine, d, ref.versionedTag, platforms, onEvent);
    pushed.push({ registry: d.host, repository: d.repository, tag: ref.versionedTag, digest });
    onEvent({ kind: "step", text: `point ${d.repository}:${ref.floatingTag} at ${ref.versionedTag}` });
    const floatingDigest = await d.client.copyTag(d.path, ref.versionedTag, ref.floatingTag);
    pushed.push({ registry: d.host, repository: d.repository, tag: ref.floatingTag, digest: floatingDigest });
  }
  return pushed;
}

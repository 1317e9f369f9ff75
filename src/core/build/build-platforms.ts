import { hostPlatform, platformBuild, requireBuildable } from "../base/platform.ts";
import type { Engine } from "../engine/engine.ts";
import { destinations } from "../registry/destinations.ts";
import { publish, type PublishEvent, type ReleasedTag } from "../registry/publish.ts";
import type { Target } from "../workspace/target.ts";
import { buildImage, type BuildEvent, type BuildOptions, type BuildResult } from "./build-image.ts";

export interface PlatformBuildOptions extends Omit<BuildOptions, "platform" | "tagSuffix"> {
  /** Default: the host's platform; with `push`, the `platforms:` of dt.yaml when it names any. */
  platforms?: string[];
  /** Push the stage's versioned and floating tags to the default registry once all are built. */
  push?: boolean;
}

export type PlatformBuildEvent = { kind: "build"; event: BuildEvent; platform: string } | PublishEvent;

export interface PlatformBuildResult extends BuildResult {
  /** Each platform's build; the result's own fields are the first one's. */
  platforms: { platform: string; image: string; id: string; skipped: boolean }[];
  pushed: ReleasedTag[];
}

/**
 * `dt docker build` (SPEC): one build per platform (a foreign one through QEMU, its tags suffixed
 * `-linux-arm64` so the host's tags stay the host's image), then with `push` the tags pushed
 * and, for several platforms, joined as a manifest list, as a release does, without its tests.
 */
export async function buildForPlatforms(
  engine: Engine,
  target: Target,
  options: PlatformBuildOptions,
  onEvent: (e: PlatformBuildEvent) => void = () => {},
): Promise<PlatformBuildResult> {
  const native = hostPlatform();
  const configured = target.resolved.config.platforms;
  const platforms = options.platforms?.length ? options.platforms : options.push && configured.length ? configured : [native];
  requireBuildable(platforms, native);
  // A missing registry is known now, not after minutes of building.
  const dests = options.push ? destinations(target, undefined) : [];
  const builds: { platform: string; result: BuildResult }[] = [];
  for (const platform of platforms) {
    const result = await buildImage(engine, target, { ...options, ...platformBuild(platform, platforms, native) }, (event) => onEvent({ kind: "build", event, platform }));
    builds.push({ platform, result });
  }
  const pushed = options.push
    ? await publish(engine, dests, target.ref(options.stage, options.version ?? target.version), platforms, new Map(builds.map((b) => [b.platform, b.result.image])), onEvent)
    : [];
  return {
    ...builds[0]!.result,
    platforms: builds.map(({ platform, result }) => ({ platform, image: result.image, id: result.id, skipped: result.skipped })),
    pushed,
  };
}

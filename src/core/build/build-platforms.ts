import { hostPlatform, platformBuild } from "../base/platform.ts";
import type { Engine } from "../engine/engine.ts";
import { destinations } from "../registry/destinations.ts";
import { publish, type PublishEvent, type ReleasedTag } from "../registry/publish.ts";
import type { Target } from "../workspace/target.ts";
import { buildImage, collectBuildContext, type BuildEvent, type BuildOptions, type BuildResult } from "./build-image.ts";
import { enginesFor, queued } from "./builders.ts";

export interface PlatformBuildOptions extends Omit<BuildOptions, "platform" | "tagSuffix" | "context"> {
  /** Default: the host's platform; with `push`, the `platforms:` of dt.yaml when it names any. */
  platforms?: string[];
  /** Push the stage's versioned and floating tags to the default registry once all are built. */
  push?: boolean;
  /** How a builder of dt.yaml is reached (tests give fakes). */
  connect?: (host: string) => Promise<Engine>;
}

export type PlatformBuildEvent = { kind: "build"; event: BuildEvent; platform: string } | PublishEvent;

export interface PlatformBuildResult extends BuildResult {
  /**
   * Each platform's build; the result's own fields are the first one's. `engine` is where the
   * image is: the local engine's address, or the builder's (`builder` true), where it stays.
   */
  platforms: { platform: string; image: string; id: string; skipped: boolean; engine: string; builder: boolean }[];
  pushed: ReleasedTag[];
}

/**
 * `dt docker build` (SPEC): one build per platform, each on its engine (its builder of dt.yaml,
 * else the local engine, through QEMU when foreign; a foreign platform's tags are suffixed
 * `-linux-arm64` so the host's tags stay the host's image), engines in parallel; then with
 * `push` each image pushed from its engine and, for several platforms, joined as a manifest
 * list, as a release does, without its tests. Nothing is pushed unless every build succeeded.
 */
export async function buildForPlatforms(
  engine: Engine,
  target: Target,
  options: PlatformBuildOptions,
  onEvent: (e: PlatformBuildEvent) => void = () => {},
): Promise<PlatformBuildResult> {
  const native = hostPlatform();
  const configured = target.resolved.config.platforms;
  const named = Boolean(options.platforms?.length) || Boolean(options.push && configured.length);
  const platforms = options.platforms?.length ? options.platforms : options.push && configured.length ? configured : [native];
  // A missing registry is known now, not after minutes of building.
  const dests = options.push ? destinations(target, undefined) : [];
  // The plain `dt docker build` makes the image `dt docker cmd` runs here, whatever builders: says.
  const engines = await enginesFor(engine, platforms, target.resolved.config.builders, { native, nativeOnLocal: !named }, options.connect);
  const context = await collectBuildContext(target, options.stage);
  const { connect: _, ...buildOptions } = options;
  const builds = await Promise.all(
    engines.map((pe) =>
      queued(pe, () =>
        buildImage(pe.engine, target, { ...buildOptions, context, ...platformBuild(pe.platform, platforms, native) }, (event) =>
          onEvent({ kind: "build", event, platform: pe.platform }),
        ),
      ),
    ),
  );
  const pushed = options.push
    ? await publish(
        dests,
        target.ref(options.stage, options.version ?? target.version),
        platforms,
        new Map(engines.map((pe, i) => [pe.platform, { engine: pe.engine, image: builds[i]!.image, builder: pe.builder }])),
        onEvent,
      )
    : [];
  return {
    ...builds[0]!,
    platforms: engines.map((pe, i) => {
      const { image, id, skipped } = builds[i]!;
      return { platform: pe.platform, image, id, skipped, engine: pe.engine.host, builder: pe.builder !== null };
    }),
    pushed,
  };
}

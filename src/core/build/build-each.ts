import { DtError } from "../base/errors.ts";
import { mapLimit } from "../base/pool.ts";
import type { Engine } from "../engine/engine.ts";
import type { Target } from "../workspace/target.ts";
import { buildForPlatforms, type PlatformBuildEvent, type PlatformBuildOptions, type PlatformBuildResult } from "./build-platforms.ts";

export interface DirBuild {
  dir: string;
  status: "built" | "skipped" | "failed";
  seconds: number;
  /** The versioned image, once known. */
  image: string | null;
  /** Why it failed: the error's first line; `error` holds all of it. */
  reason: string | null;
  error: { exitCode: number; message: string; hint: string | null } | null;
  result: PlatformBuildResult | null;
}

export type BuildEachEvent =
  | { kind: "start"; dir: string }
  | { kind: "build"; dir: string; event: PlatformBuildEvent }
  | { kind: "done"; build: DirBuild };

/** A dir to build; its config and changelog are read when its turn comes, so one bad file fails only it. */
export interface DirToBuild {
  dir: string;
  load: () => Promise<Target> | Target;
}

/**
 * `dt docker build --all`: every dir built, `jobs` at a time, each failure recorded and the
 * others built anyway. Internal errors (bugs) are not swallowed: they stop the run.
 */
export async function buildEach(
  engine: Engine,
  dirs: readonly DirToBuild[],
  options: PlatformBuildOptions,
  jobs: number,
  onEvent: (e: BuildEachEvent) => void = () => {},
): Promise<DirBuild[]> {
  return mapLimit(dirs, jobs, async ({ dir, load }) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    onEvent({ kind: "start", dir });
    let build: DirBuild;
    try {
      const result = await buildForPlatforms(engine, await load(), options, (event) => onEvent({ kind: "build", dir, event }));
      const skipped = result.platforms.every((p) => p.skipped);
      build = { dir, status: skipped ? "skipped" : "built", seconds: seconds(), image: result.image, reason: null, error: null, result };
    } catch (e) {
      if (!(e instanceof DtError)) throw e;
      const error = { exitCode: e.exitCode, message: e.where ? `${e.where}: ${e.message}` : e.message, hint: e.hint ?? null };
      build = { dir, status: "failed", seconds: seconds(), image: null, reason: error.message.split("\n")[0]!, error, result: null };
    }
    onEvent({ kind: "done", build });
    return build;
  });
}

import { DtError, envError, usageError } from "../base/errors.ts";
import { plural } from "../base/text.ts";
import { hostPlatform, platformBuild, platformSuffix, requireBuildable } from "../base/platform.ts";
import { buildImage, type BuildEvent } from "../build/build-image.ts";
import type { Engine } from "../engine/engine.ts";
import { destinations, type Destination } from "../registry/destinations.ts";
import { authFor, publish, registrySuffix, type PublishEvent, type ReleasedTag } from "../registry/publish.ts";
import { pullImage } from "../registry/transfer.ts";
import { runTests, type TestEvent, type TestReport } from "../testing/run-tests.ts";
import { LABEL } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { Workspace } from "../workspace/workspace.ts";

export type ReleaseStage = "dev" | "prod";

export interface ReleaseOptions {
  stage: ReleaseStage;
  version?: string;
  skipTests?: boolean;
  suites?: string[];
  registries?: string[];
  platforms?: string[];
  dryRun?: boolean;
  /** --build-arg, over docker.build_args. */
  buildArgs?: Record<string, string>;
}

/**
 * A `step` starts a step and the next `done` ends it, succeeded; a step that fails ends with the
 * error the release throws. Steps run one after the other.
 */
export type ReleaseEvent =
  | PublishEvent
  | { kind: "build"; event: BuildEvent; platform: string }
  | { kind: "test"; event: TestEvent };

export interface ReleaseResult {
  dir: string;
  stage: ReleaseStage;
  version: string;
  platforms: string[];
  plan: string[];
  alreadyReleased: boolean;
  pushed: ReleasedTag[];
  tests: TestReport[];
}

/** The registry digest this engine recorded when it pushed or pulled `name`, if any. */
async function localRepoDigest(engine: Engine, name: string, repository: string): Promise<string | undefined> {
  const info = await engine.inspectImage(name);
  return info?.RepoDigests?.find((d) => d.startsWith(`${repository}@`))?.split("@")[1];
}

/**
 * Whether `tag` is in every destination as this machine's image `localName`: the engine
 * recorded that very digest when it pushed (for a manifest list, its first platform's). Used
 * before any build, so a finished release is recognised with one inspect and one request.
 */
async function pushedFromHere(engine: Engine, dests: Destination[], tag: string, localName: (d: Destination) => string): Promise<boolean> {
  for (const d of dests) {
    const manifest = await d.client.getManifest(d.path, tag);
    if (!manifest) return false;
    const list = manifest.json as { manifests?: { digest: string }[] };
    const remote = list.manifests?.[0]?.digest ?? manifest.digest;
    if ((await localRepoDigest(engine, localName(d), d.repository)) !== remote) return false;
  }
  return true;
}

/**
 * After building: whether every destination already holds `tag` built from the same context
 * (on a machine that never pushed it). A different image under a released tag is refused:
 * released versions do not change. False when no destination has the tag.
 */
async function releasedElsewhere(dests: Destination[], tag: string, contextDigest: string): Promise<boolean> {
  let present = 0;
  for (const d of dests) {
    const labels = await d.client.imageLabels(d.path, tag);
    if (!labels) continue;
    present++;
    if (labels[LABEL.contextDigest] !== contextDigest) {
      throw usageError(`${d.repository}:${tag} is already released with different content`, {
        hint: "a released version does not change: bump it (dt version bump patch -m ...) and release again",
      });
    }
  }
  return present === dests.length;
}

/** `dt docker release dev|prod` (SPEC): build, test, tag versioned and floating, push. */
export async function release(engine: Engine, target: Target, ws: Workspace, options: ReleaseOptions, onEvent: (e: ReleaseEvent) => void = () => {}): Promise<ReleaseResult> {
  const version = options.version ?? target.version;
  const native = hostPlatform();
  const platforms = options.platforms?.length ? options.platforms : target.resolved.config.platforms.length ? target.resolved.config.platforms : [native];
  if (!platforms.includes(native) && !options.skipTests) {
    throw usageError(`the tests run in the ${native} image, which ${platforms.join(", ")} does not include`, { hint: `add ${native} or use --skip-tests` });
  }
  requireBuildable(platforms, native);
  const dests = destinations(target, options.registries);
  const suites = options.suites?.length ? options.suites : ["fast", "slow"];
  const stageRef = target.ref(options.stage, version);
  const sourceStage = options.stage === "dev" ? "local" : "prod";
  const plan = [
    options.stage === "dev"
      ? `build the local image of ${target.path} ${version} for ${platforms.join(", ")}`
      : `build the prod image of ${target.path} ${version} FROM dev-${version} (pulled if missing)`,
    options.skipTests ? "skip the tests (--skip-tests)" : `run the suites ${suites.join(", ")} in the ${native} ${sourceStage} image`,
    ...dests.map((d) => `tag and push ${d.repository}:${stageRef.versionedTag} and :${stageRef.floatingTag}`),
  ];
  const result: ReleaseResult = { dir: target.path, stage: options.stage, version, platforms, plan, alreadyReleased: false, pushed: [], tests: [] };
  if (options.dryRun) return result;

  // The cheap question first: a finished release is recognised without building or testing.
  const firstSuffix = registrySuffix(platforms[0]!, platforms);
  if (await pushedFromHere(engine, dests, stageRef.versionedTag, (d) => `${d.repository}:${stageRef.versionedTag}${firstSuffix}`)) {
    return { ...result, alreadyReleased: true };
  }

  if (options.stage === "prod") {
    for (const p of platforms) {
      const devTag = `${target.ref("dev", version).versionedTag}${platformSuffix(p, native)}`;
      const devName = `${stageRef.repository}:${devTag}`;
      if (!(await engine.inspectImage(devName))) {
        onEvent({ kind: "step", text: `pull ${devName}` });
        const d = dests[0]!;
        const remote = `${d.repository}:${target.ref("dev", version).versionedTag}`;
        await pullImage(engine, remote, await authFor(d.host), {
          platform: p,
          onProgress: (progress) => onEvent({ kind: "transfer", what: remote, progress }),
        });
        if (remote !== devName) await engine.tagImage(remote, stageRef.repository, devTag);
        onEvent({ kind: "done", text: `pulled ${remote}` });
      }
    }
  }

  const built = new Map<string, string>();
  for (const p of platforms) {
    onEvent({ kind: "step", text: `build ${sourceStage} ${target.path} ${version} (${p})` });
    const b = await buildImage(
      engine,
      target,
      {
        stage: options.stage === "dev" ? "local" : "prod",
        version,
        buildArgs: options.buildArgs,
        ...platformBuild(p, platforms, native),
      },
      (event) => onEvent({ kind: "build", event, platform: p }),
    );
    built.set(p, b.image);
    onEvent({ kind: "done", text: b.skipped ? `${b.image} is up to date (context unchanged)` : `built ${b.image}` });
    if (p === platforms[0] && (await releasedElsewhere(dests, stageRef.versionedTag, b.contextDigest))) {
      return { ...result, alreadyReleased: true };
    }
  }

  if (!options.skipTests) {
    for (const suite of suites) {
      onEvent({ kind: "step", text: `test: suite ${suite} in ${built.get(native)}` });
      const report = await runTests(
        engine,
        { ws, base: null, dirs: [{ path: target.path, absPath: target.absPath, reasons: ["release"], staleImage: false }] },
        { suite, jobs: 1, stage: sourceStage === "local" ? "local" : "prod", pytestArgs: [] },
        (event) => onEvent({ kind: "test", event }),
      );
      result.tests.push(report);
      if (!report.ok) throw suiteError(report, suite, built.get(native)!);
      const t = report.totals;
      onEvent({ kind: "done", text: `suite ${suite}: ${t.passed} passed${t.skipped ? `, ${t.skipped} skipped` : ""}${t.total ? "" : " (no tests)"}` });
    }
  }

  result.pushed.push(...(await publish(engine, dests, stageRef, platforms, built, onEvent)));
  return result;
}

/**
 * Why a suite stopped the release: its failing tests by name (pytest's `path::test`), or why the
 * dir could not run at all (an environment problem, with its fix). Nothing is tagged or pushed.
 */
function suiteError(report: TestReport, suite: string, image: string): DtError {
  const dir = report.dirs[0];
  if (dir && (dir.status === "error" || dir.status === "not-run")) {
    return envError(`the ${suite} suite could not run in ${image}: ${dir.reason ?? dir.status}; nothing was tagged or pushed`, { hint: dir.hint ?? undefined });
  }
  const failing = report.dirs.flatMap((d) => d.cases.filter((t) => t.status === "failed" || t.status === "error").map((t) => `${t.file ?? t.classname}${t.status === "error" && !t.classname ? "" : `::${t.name}`}`));
  const t = report.totals;
  const counts = [t.failed ? `${t.failed} failed` : "", t.errors ? plural(t.errors, "error") : ""].filter(Boolean).join(", ") || dir?.reason || "failed";
  const named = failing.length ? `: ${failing.slice(0, 3).join(", ")}${failing.length > 3 ? ` and ${failing.length - 3} more` : ""}` : "";
  return new DtError(1, `the ${suite} suite failed in ${image} (${counts})${named}; nothing was tagged or pushed`, {
    hint: `fix the tests (dt test --suite ${suite}), or release anyway with --skip-tests`,
  });
}

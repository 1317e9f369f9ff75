import { DtError, envError, usageError } from "../base/errors.ts";
import { plural } from "../base/text.ts";
import { hostPlatform, platformBuild, platformSuffix } from "../base/platform.ts";
import { buildImage, collectBuildContext, type BuildEvent } from "../build/build-image.ts";
import { builderHosts, enginesFor, onItsEngine, queued, whereBuilt } from "../build/builders.ts";
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
  /** How a builder of dt.yaml is reached (tests give fakes). */
  connect?: (host: string) => Promise<Engine>;
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
  /** The engine each platform is built on (and pushed from): the local one's address or its builder's. */
  builtOn: Record<string, string>;
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

/**
 * `dt docker release dev|prod` (SPEC): build (each platform on its engine, engines in parallel),
 * test in the host's platform image on the local engine, tag versioned and floating, push each
 * platform from the engine that built it, join them. Nothing is pushed unless all that succeeded.
 */
export async function release(engine: Engine, target: Target, ws: Workspace, options: ReleaseOptions, onEvent: (e: ReleaseEvent) => void = () => {}): Promise<ReleaseResult> {
  const version = options.version ?? target.version;
  const native = hostPlatform();
  const platforms = options.platforms?.length ? options.platforms : target.resolved.config.platforms.length ? target.resolved.config.platforms : [native];
  if (!platforms.includes(native) && !options.skipTests) {
    throw usageError(`the tests run in the ${native} image, which ${platforms.join(", ")} does not include`, { hint: `add ${native} or use --skip-tests` });
  }
  const dests = destinations(target, options.registries);
  const suites = options.suites?.length ? options.suites : ["fast", "slow"];
  const stageRef = target.ref(options.stage, version);
  const sourceStage = options.stage === "dev" ? "local" : "prod";
  // The tests run on the local engine, so the host's platform is built there when they run.
  const choice = { native, nativeOnLocal: !options.skipTests };
  const { builders } = target.resolved.config;
  const hosts = builderHosts(platforms, builders, engine.host, choice);
  const where = platforms.map((p) => (hosts.get(p) ? whereBuilt(p, hosts.get(p)!) : p)).join(", ");
  const plan = [
    options.stage === "dev"
      ? `build the local image of ${target.path} ${version} for ${where}`
      : `build the prod image of ${target.path} ${version} FROM dev-${version} (pulled if missing) for ${where}`,
    options.skipTests ? "skip the tests (--skip-tests)" : `run the suites ${suites.join(", ")} in the ${native} ${sourceStage} image`,
    ...dests.map((d) => `tag and push ${d.repository}:${stageRef.versionedTag} and :${stageRef.floatingTag}`),
  ];
  const builtOn = Object.fromEntries(platforms.map((p) => [p, hosts.get(p) ?? engine.host]));
  const result: ReleaseResult = { dir: target.path, stage: options.stage, version, platforms, builtOn, plan, alreadyReleased: false, pushed: [], tests: [] };
  if (options.dryRun) return result;

  const engines = await enginesFor(engine, platforms, builders, choice, options.connect);
  const engineOf = (p: string) => engines.find((pe) => pe.platform === p)!;
  if (platforms.includes(native) && builders[native] && builders[native] !== engine.host && choice.nativeOnLocal) {
    onEvent({ kind: "step", text: `${native} is built on the local engine, where the tests run (not on its builder ${builders[native]})` });
  }

  // The cheap question first: a finished release is recognised without building or testing.
  const firstSuffix = registrySuffix(platforms[0]!, platforms);
  if (await pushedFromHere(engineOf(platforms[0]!).engine, dests, stageRef.versionedTag, (d) => `${d.repository}:${stageRef.versionedTag}${firstSuffix}`)) {
    return { ...result, alreadyReleased: true };
  }

  if (options.stage === "prod") {
    // Each engine builds FROM the dev image of its own platform, so each pulls its own.
    for (const pe of engines) {
      const devTag = `${target.ref("dev", version).versionedTag}${platformSuffix(pe.platform, native)}`;
      const devName = `${stageRef.repository}:${devTag}`;
      await onItsEngine(pe, async () => {
        if (await pe.engine.inspectImage(devName)) return;
        onEvent({ kind: "step", text: `pull ${devName}${pe.builder ? ` on the builder ${pe.builder}` : ""}` });
        const d = dests[0]!;
        const remote = `${d.repository}:${target.ref("dev", version).versionedTag}`;
        await pullImage(pe.engine, remote, await authFor(d.host), {
          platform: pe.platform,
          onProgress: (progress) => onEvent({ kind: "transfer", what: remote, progress }),
        });
        if (remote !== devName) await pe.engine.tagImage(remote, stageRef.repository, devTag);
        onEvent({ kind: "done", text: `pulled ${remote}` });
      });
    }
  }

  const context = await collectBuildContext(target, sourceStage);
  const builds = await Promise.all(
    engines.map((pe) =>
      queued(pe, async () => {
        onEvent({ kind: "step", text: `build ${sourceStage} ${target.path} ${version} (${whereBuilt(pe.platform, pe.builder)})` });
        const b = await buildImage(
          pe.engine,
          target,
          { stage: sourceStage, version, buildArgs: options.buildArgs, context, ...platformBuild(pe.platform, platforms, native) },
          (event) => onEvent({ kind: "build", event, platform: pe.platform }),
        );
        onEvent({ kind: "done", text: b.skipped ? `${b.image} is up to date (context unchanged)` : `built ${b.image}` });
        return b;
      }),
    ),
  );
  if (await releasedElsewhere(dests, stageRef.versionedTag, builds[0]!.contextDigest)) {
    return { ...result, alreadyReleased: true };
  }
  const built = new Map(engines.map((pe, i) => [pe.platform, { engine: pe.engine, image: builds[i]!.image, builder: pe.builder }]));

  if (!options.skipTests) {
    const tested = built.get(native)!.image;
    for (const suite of suites) {
      onEvent({ kind: "step", text: `test: suite ${suite} in ${tested}` });
      const report = await runTests(
        engine,
        { ws, base: null, dirs: [{ path: target.path, absPath: target.absPath, reasons: ["release"], staleImage: false }] },
        { suite, jobs: 1, stage: sourceStage === "local" ? "local" : "prod", pytestArgs: [] },
        (event) => onEvent({ kind: "test", event }),
      );
      result.tests.push(report);
      if (!report.ok) throw suiteError(report, suite, tested);
      const t = report.totals;
      onEvent({ kind: "done", text: `suite ${suite}: ${t.passed} passed${t.skipped ? `, ${t.skipped} skipped` : ""}${t.total ? "" : " (no tests)"}` });
    }
  }

  result.pushed.push(...(await publish(dests, stageRef, platforms, built, onEvent)));
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

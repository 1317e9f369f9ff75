import type Docker from "dockerode";
import { resolveCredentials } from "../registry/credentials.ts";
import { registryHost } from "../registry/docker-config.ts";
import { connect, engineCall, inspectImage } from "../engine/engine.ts";
import { DtError, usageError, workError } from "../base/errors.ts";
import { buildImage, type BuildEvent } from "../build/build-image.ts";
import { LABEL, type ImageRef } from "../workspace/image-ref.ts";
import { hostPlatform, platformBuild, platformSuffix, platformTagSuffix, requireBuildable } from "../base/platform.ts";
import { registryClient, type RegistryClient } from "../registry/client.ts";
import type { IndexEntry } from "../registry/manifest.ts";
import { loadTarget, type Target } from "../workspace/target.ts";
import { runTests, type TestEvent, type TestReport } from "../testing/run-tests.ts";
import { pullImage, pushImage, type TransferProgress } from "../registry/transfer.ts";

export type ReleaseStage = "dev" | "prod";

export interface ReleaseOptions {
  cwd: string;
  dir?: string;
  stage: ReleaseStage;
  version?: string;
  skipTests?: boolean;
  suites?: string[];
  registries?: string[];
  platforms?: string[];
  dryRun?: boolean;
}

/** What publishing reports: steps, and the progress of each push. */
export type PublishEvent = { kind: "step"; text: string } | { kind: "transfer"; what: string; progress: TransferProgress };

export type ReleaseEvent =
  | PublishEvent
  | { kind: "build"; event: BuildEvent; platform: string }
  | { kind: "test"; event: TestEvent }
  | { kind: "done"; text: string };

export interface ReleasedTag {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

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

/** A registry a release goes to: its prefix (`host[:port]/path`) and the repository of the image. */
export interface Destination {
  name: string;
  prefix: string;
  host: string;
  /** Repository path inside the registry (no host). */
  path: string;
  repository: string;
  client: RegistryClient;
}

export function destinations(target: Target, names: readonly string[] | undefined): Destination[] {
  const { config } = target.resolved;
  const wanted = names?.length ? names : [undefined];
  return wanted.map((name) => {
    let prefix: string | null;
    if (name === undefined) {
      prefix = config.registry;
      if (!prefix) {
        throw usageError("no registry to release to", {
          hint: "set registry: in dt.yaml (or DT_REGISTRY), or name one of registries: with --registry NAME",
        });
      }
    } else {
      prefix = config.registries[name] ?? null;
      if (!prefix) {
        const known = Object.keys(config.registries);
        throw usageError(`unknown registry '${name}'`, { hint: known.length ? `use one of: ${known.join(", ")}` : "declare it under registries: in dt.yaml" });
      }
    }
    prefix = prefix.replace(/\/+$/, "");
    const host = registryHost(prefix);
    const path = `${prefix.slice(host.length).replace(/^\//, "")}${prefix === host ? "" : "/"}${config.image}`.replace(/^\//, "");
    return { name: name ?? "default", prefix, host, path, repository: `${prefix}/${config.image}`, client: registryClient(host) };
  });
}

// In the registry, one platform is the tag itself; several are pushed as TAG-os-arch and joined.
const registrySuffix = (platform: string, platforms: readonly string[]) => (platforms.length > 1 ? platformTagSuffix(platform) : "");

export async function tagLocal(docker: Docker, source: string, repository: string, tag: string): Promise<void> {
  await engineCall(`tagging ${repository}:${tag}`, () => docker.getImage(source).tag({ repo: repository, tag }));
}

/** The registry digest this engine recorded when it pushed or pulled `name`, if any. */
async function localRepoDigest(docker: Docker, name: string, repository: string): Promise<string | undefined> {
  const info = await inspectImage(docker, name);
  return info?.RepoDigests?.find((d) => d.startsWith(`${repository}@`))?.split("@")[1];
}

/**
 * Whether `tag` is in every destination as this machine's image `localName`: the engine
 * recorded that very digest when it pushed (for a manifest list, its first platform's). Used
 * before any build, so a finished release is recognised with one inspect and one request.
 */
async function pushedFromHere(docker: Docker, dests: Destination[], tag: string, localName: (d: Destination) => string): Promise<boolean> {
  for (const d of dests) {
    const manifest = await d.client.getManifest(d.path, tag);
    if (!manifest) return false;
    const list = manifest.json as { manifests?: { digest: string }[] };
    const remote = list.manifests?.[0]?.digest ?? manifest.digest;
    if ((await localRepoDigest(docker, localName(d), d.repository)) !== remote) return false;
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

export async function authFor(host: string) {
  return (await resolveCredentials(host)) ?? undefined;
}

/**
 * Pushes `repository:tag` for every platform image and, for several platforms, writes the
 * manifest list under the tag. Returns the digest the tag ends up at.
 */
async function pushPlatforms(docker: Docker, d: Destination, tag: string, platforms: string[], onEvent: (e: PublishEvent) => void): Promise<string> {
  const auth = await authFor(d.host);
  if (platforms.length === 1) {
    onEvent({ kind: "step", text: `push ${d.repository}:${tag}` });
    const { digest } = await pushImage(docker, d.repository, tag, auth, (progress) => onEvent({ kind: "transfer", what: `${d.repository}:${tag}`, progress }));
    return digest ?? (await d.client.headManifest(d.path, tag))!.digest;
  }
  const entries: IndexEntry[] = [];
  for (const platform of platforms) {
    const platformTag = `${tag}${platformTagSuffix(platform)}`;
    onEvent({ kind: "step", text: `push ${d.repository}:${platformTag}` });
    await pushImage(docker, d.repository, platformTag, auth, (progress) => onEvent({ kind: "transfer", what: `${d.repository}:${platformTag}`, progress }));
    const head = await d.client.headManifest(d.path, platformTag);
    if (!head) throw workError(`${d.repository}:${platformTag} is not in the registry after its push`);
    const [os, architecture, variant] = platform.split("/");
    entries.push({ digest: head.digest, size: head.size, mediaType: head.mediaType, platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) } });
  }
  onEvent({ kind: "step", text: `write the manifest list ${d.repository}:${tag} (${platforms.join(", ")})` });
  return d.client.putIndex(d.path, tag, entries);
}

/** `dt docker release dev|prod` (SPEC): build, test, tag versioned and floating, push. */
export async function release(options: ReleaseOptions, onEvent: (e: ReleaseEvent) => void = () => {}): Promise<ReleaseResult> {
  const [target, docker] = await Promise.all([loadTarget(options.cwd, options.dir), connect()]);
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
  if (await pushedFromHere(docker, dests, stageRef.versionedTag, (d) => `${d.repository}:${stageRef.versionedTag}${firstSuffix}`)) {
    return { ...result, alreadyReleased: true };
  }

  if (options.stage === "prod") {
    for (const p of platforms) {
      const devTag = `${target.ref("dev", version).versionedTag}${platformSuffix(p, native)}`;
      const devName = `${stageRef.repository}:${devTag}`;
      if (!(await inspectImage(docker, devName))) {
        onEvent({ kind: "step", text: `pull ${devName}` });
        const d = dests[0]!;
        const remote = `${d.repository}:${target.ref("dev", version).versionedTag}`;
        await pullImage(docker, remote, await authFor(d.host), {
          platform: p,
          onProgress: (progress) => onEvent({ kind: "transfer", what: remote, progress }),
        });
        if (remote !== devName) await tagLocal(docker, remote, stageRef.repository, devTag);
      }
    }
  }

  const built = new Map<string, string>();
  for (const p of platforms) {
    onEvent({ kind: "step", text: `build ${sourceStage} ${target.path} ${version} (${p})` });
    const b = await buildImage(
      {
        cwd: options.cwd,
        dir: target.absPath,
        stage: options.stage === "dev" ? "local" : "prod",
        version,
        ...platformBuild(p, platforms, native),
      },
      (event) => onEvent({ kind: "build", event, platform: p }),
    );
    built.set(p, b.image);
    if (p === platforms[0] && (await releasedElsewhere(dests, stageRef.versionedTag, b.contextDigest))) {
      return { ...result, alreadyReleased: true };
    }
  }

  if (!options.skipTests) {
    for (const suite of suites) {
      onEvent({ kind: "step", text: `test: suite ${suite} in ${built.get(native)}` });
      const report = await runTests(
        { cwd: options.cwd, dirs: [target.absPath], suite, jobs: 1, stage: sourceStage === "local" ? "local" : "prod", pytestArgs: [] },
        (event) => onEvent({ kind: "test", event }),
      );
      result.tests.push(report);
      if (!report.ok) {
        throw new DtError(1, `the ${suite} suite failed in ${built.get(native)}; nothing was pushed`, {
          hint: "fix the tests (dt test --suite " + suite + "), or release anyway with --skip-tests",
        });
      }
    }
  }

  result.pushed.push(...(await publish(docker, dests, stageRef, platforms, built, onEvent)));
  return result;
}

/**
 * Tags each platform's built image (`built`: platform → local image) for every destination and
 * pushes: the versioned tag (a manifest list when there are several platforms), then the
 * floating tag pointed at it in the registry.
 */
export async function publish(
  docker: Docker,
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
      for (const tag of [ref.versionedTag, ref.floatingTag]) {
        await tagLocal(docker, built.get(p)!, d.repository, `${tag}${suffix}`);
      }
    }
    const digest = await pushPlatforms(docker, d, ref.versionedTag, platforms, onEvent);
    pushed.push({ registry: d.host, repository: d.repository, tag: ref.versionedTag, digest });
    onEvent({ kind: "step", text: `point ${d.repository}:${ref.floatingTag} at ${ref.versionedTag}` });
    const floatingDigest = await d.client.copyTag(d.path, ref.versionedTag, ref.floatingTag);
    pushed.push({ registry: d.host, repository: d.repository, tag: ref.floatingTag, digest: floatingDigest });
  }
  return pushed;
}

export type { ImageRef };

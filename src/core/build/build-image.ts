import { join } from "node:path";
import { plural } from "../base/text.ts";
import { assetsUnder, isExecutableAsset } from "../base/assets.ts";
import { closeSync, openSync, readSync } from "node:fs";
import { collectContextYielding, contentDigest, contextDigest, type CollectedContext } from "./context.ts";
import type { ContextEntry } from "./context-entry.ts";
import { parseDockerignore } from "./dockerignore.ts";
import type { BuildQuery, Engine, ImageInfo, ProgressStream } from "../engine/engine.ts";
import { engineError } from "../engine/engine-errors.ts";
import { envError, usageError, workError } from "../base/errors.ts";
import { withFileLockAsync } from "../base/file-lock.ts";
import { readText } from "../base/fs-util.ts";
import { publicUrl } from "../base/url.ts";
import { gitRaw } from "../git/git.ts";
import { floating, LABEL, tagUser, versioned, type ImageRef } from "../workspace/image-ref.ts";
import { readJsonLines } from "../base/json-lines.ts";
import { sliceDue, turn } from "../base/yielding.ts";
import { lentTarChunks, packContext, tarSize } from "./tar-writer.ts";
import { assertLockFresh } from "./poetry-lock.ts";
import type { Target } from "../workspace/target.ts";
import { stateDir } from "../workspace/state-dir.ts";
import { readHead, repoDirOf } from "../workspace/workspace.ts";

export type BuildStage = "local" | "prod";

export interface BuildOptions {
  stage: BuildStage;
  version?: string;
  /** prod only: build FROM the local image instead of the dev one. */
  from?: "dev" | "local";
  platform?: string;
  noCache?: boolean;
  buildArgs?: Record<string, string>;
  /** Appended to both tags (`-linux-arm64`), so a foreign-platform build leaves the native tags alone. */
  tagSuffix?: string;
  /** The context, collected once when several platforms are built, so every engine gets the same files. */
  context?: CollectedContext;
  /** The engine's network for RUN steps (`host` reaches a package index on the host's loopback). */
  network?: string;
  /** Runs once the image exists, built or found unchanged (dt deps records its packages here). */
  afterBuild?: (result: BuildResult) => Promise<void>;
}

export type BuildEvent =
  | { kind: "context"; files: number; warnings: string[] }
  | { kind: "step"; text: string }
  | { kind: "output"; text: string };

export interface BuildResult {
  image: string;
  floating: string;
  id: string;
  skipped: boolean;
  contextDigest: string;
  warnings: string[];
  dir: string;
}

/** Embedded devops templates, as the context paths they fill in when the dir lacks them. */
function templateFiles(): Map<string, { text: string; mode: number }> {
  const out = new Map<string, { text: string; mode: number }>();
  for (const [path, text] of assetsUnder("templates/devops")) {
    out.set(`devops/${path}`, { text, mode: isExecutableAsset(path) ? 0o755 : 0o644 });
  }
  return out;
}

/**
 * Kept out of every prod context even when the dir's own dockerignore.prod does not list them:
 * git metadata, dt's state, and files that usually hold secrets. They go before the user's lines,
 * so an explicit `!` line in dockerignore.prod still brings one back.
 */
const PROD_DEFAULT_EXCLUDES = [".git", "**/.git", ".dt", ".env", "**/.env", "*.pem", "**/*.pem", "id_rsa*", "**/id_rsa*"];

function ignoreFileFor(target: Target, stage: BuildStage): { text: string; file: string } {
  const rel = `devops/docker_build/dockerignore.${stage === "prod" ? "prod" : "dev"}`;
  const own = readText(join(target.absPath, rel));
  if (own !== undefined) {
    const file = target.path === "." ? rel : `${target.path}/${rel}`;
    // Checked alone first, so that a bad line is reported at its own line number.
    parseDockerignore(own, file);
    // dt's own state (reports, the lock of this very build) is never part of an image.
    const defaults = stage === "prod" ? PROD_DEFAULT_EXCLUDES : [".dt"];
    return { text: `${defaults.join("\n")}\n${own.replace(/^\uFEFF/, "")}`, file };
  }
  return { text: templateFiles().get(rel)!.text, file: `(embedded ${rel})` };
}

async function sourceLabels(target: Target): Promise<Record<string, string>> {
  const repoDir = repoDirOf(target.root, target.absPath);
  const remote = await gitRaw(["config", "--get", "remote.origin.url"], repoDir);
  return {
    [LABEL.revision]: readHead(repoDir)?.commit ?? "",
    // The origin URL of a CI checkout carries its token; the label goes into every pushed image.
    [LABEL.source]: remote.code === 0 ? publicUrl(remote.stdout.trim()) : "",
  };
}

/**
 * A content hash of the files that define the image (devops/, the Python project files). The
 * context digest is otherwise metadata-only, and two edits of the same size within one
 * millisecond (a script, a test) must still tell two Dockerfiles apart. Read in pieces into
 * one buffer (a large file there is never held whole), with the event loop, and so signals,
 * given a turn every few dozen milliseconds.
 */
async function definitionHash(entries: readonly ContextEntry[]): Promise<string> {
  const hash = new Bun.CryptoHasher("sha256");
  const buffer = Buffer.alloc(1024 * 1024);
  for (const e of entries) {
    if (e.type !== "file" || !(e.path.startsWith("devops/") || e.path === "pyproject.toml" || e.path === "poetry.lock")) continue;
    hash.update(`${e.path}\0`);
    if (e.content) hash.update(e.content);
    else {
      let fd: number | undefined;
      try {
        fd = openSync(e.source!, "r");
        for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
          hash.update(buffer.subarray(0, n));
          if (sliceDue()) await turn();
        }
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        if (code === "EACCES" || code === "EPERM") {
          throw usageError(`${e.path} is unreadable (permission denied): dt cannot send it`, { hint: `make it readable (chmod a+r ${e.path})`, cause });
        }
        throw workError(`${e.path} changed while the build context was being read (${code ?? String(cause)})`, { hint: "run the build again", cause });
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * The base image of one platform, as a local name the build can use. The classic builder
 * takes a local FROM image of another architecture as it is, so for a foreign platform dt
 * pulls that platform's variant itself and pins it under a private tag.
 */
async function baseForPlatform(engine: Engine, base: string, platform: string): Promise<string> {
  const [os, arch] = platform.split("/");
  const matches = (info: ImageInfo | undefined) => info?.Os === os && info?.Architecture === arch;
  const pinned = `dt-base/${base.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "")}:${os}-${arch}`;
  // Always the pinned name, even when `base` holds this platform now: the name is part of the
  // context digest, and `base` changes platform with every pull for another one, so a build
  // that used it would not be recognised as unchanged the next time.
  const current = await engine.inspectImage(base);
  if (matches(current)) {
    await engine.tagImage(current!.Id, pinned.split(":")[0]!, `${os}-${arch}`);
    return pinned;
  }
  if (matches(await engine.inspectImage(pinned))) return pinned;
  const { resolveCredentials } = await import("../registry/credentials.ts");
  const { registryHost } = await import("../registry/docker-config.ts");
  const { pullImage } = await import("../registry/transfer.ts");
  await pullImage(engine, base, (await resolveCredentials(registryHost(base))) ?? undefined, { platform });
  const pulled = await engine.inspectImage(base);
  if (!matches(pulled)) {
    throw envError(`the base image ${base} has no ${platform} variant`, {
      hint: "use a multi-arch base_image (a manifest list in a registry) for multi-platform builds",
    });
  }
  await engine.tagImage(pulled!.Id, pinned.split(":")[0]!, `${os}-${arch}`);
  return pinned;
}

/**
 * The files a build of `stage` sends: the dir's, its dockerignore applied, the templates filling
 * gaps. Collected with yields, so that a signal during a long walk ends dt at once.
 */
export function collectBuildContext(target: Target, stage: BuildStage): Promise<CollectedContext> {
  return collectContextYielding(target.absPath, ignoreFileFor(target, stage), templateFiles(), { resolveLinksWithin: target.root });
}

/** The image of this stage and version built from this very context, if there is one. */
async function findByDigest(engine: Engine, target: Target, digest: string): Promise<string | undefined> {
  const found = await engine.listImages({ labels: [`${LABEL.contextDigest}=${digest}`, `${LABEL.workspace}=${target.root}`] });
  return found[0]?.Id;
}

async function tag(engine: Engine, id: string, ref: ImageRef): Promise<void> {
  for (const t of [ref.versionedTag, ref.floatingTag]) await engine.tagImage(id, ref.repository, t);
}

/**
 * `dt docker build`: pack the context in-process, skip when an image of the same context
 * digest exists, else build through the Engine API and tag versioned and floating.
 */
export async function buildImage(engine: Engine, target: Target, options: BuildOptions, onEvent: (e: BuildEvent) => void = () => {}): Promise<BuildResult> {
  // Two builds of the same tags at once would both tag, and the first would report an image
  // that the second then leaves dangling: one at a time per dir, stage and platform. The next
  // one then usually finds the image built and skips.
  const key = `${target.path}\0${options.stage}\0${options.tagSuffix ?? ""}`;
  const name = `build-${target.path === "." ? "root" : target.path.replace(/[^A-Za-z0-9._-]+/g, "_")}-${options.stage}-${Bun.hash(key).toString(16).slice(0, 8)}`;
  return withFileLockAsync(join(stateDir(target.root, "locks"), name), () => buildUnlocked(engine, target, options, onEvent), {
    onWait: (holder) => onEvent({ kind: "step", text: `waiting for another dt docker build of ${target.path}${holder.pid ? ` (pid ${holder.pid})` : ""} to finish` }),
  });
}

async function buildUnlocked(engine: Engine, target: Target, options: BuildOptions, onEvent: (e: BuildEvent) => void): Promise<BuildResult> {
  const version = options.version ?? target.version;
  // Before anything is sent: poetry would install the old pins of a stale lock with a mere warning.
  assertLockFresh(target.absPath, target.path);
  const plain = target.ref(options.stage, version);
  const suffix = options.tagSuffix ?? "";
  const ref = { ...plain, versionedTag: plain.versionedTag + suffix, floatingTag: plain.floatingTag + suffix };
  const dockerfile = `devops/docker_build/${options.stage === "prod" ? "prod" : "dev"}.Dockerfile`;
  const buildArgs = buildArgsFor(target, options.stage, version, options.buildArgs ?? {});
  if (options.stage === "prod") {
    const from = target.ref(options.from ?? "dev", version);
    const base = versioned(from) + suffix;
    if (!(await engine.inspectImage(base))) {
      const fix = from.stage === "local" ? "dt docker build" : `dt docker pull --stage dev --version ${version} (or build prod from your local image with --from local)`;
      throw envError(`the prod image builds FROM ${base}, which does not exist on this engine`, { hint: fix });
    }
    buildArgs.DEV_IMAGE = base;
  } else if (options.platform) {
    buildArgs.BASE_IMAGE = await baseForPlatform(engine, buildArgs.BASE_IMAGE ?? target.resolved.config.base_image, options.platform);
  }

  // Collected here unless a multi-platform build collected it once for all.
  const context = options.context ?? (await collectBuildContext(target, options.stage));
  onEvent({ kind: "context", files: context.entries.length, warnings: context.warnings });
  const inputs = {
    dir: target.path,
    definition: await definitionHash(context.entries),
    dockerfile,
    stage: options.stage,
    version,
    platform: options.platform ?? "",
    buildArgs: JSON.stringify(Object.entries(buildArgs).sort()),
  };
  const digest = contextDigest(context.entries, inputs);
  const result = { image: versioned(ref), floating: floating(ref), contextDigest: digest, warnings: context.warnings, dir: target.path };

  if (!options.noCache) {
    const existing = await findByDigest(engine, target, digest);
    if (existing) {
      await tag(engine, existing, ref);
      const found = { ...result, id: existing, skipped: true };
      await options.afterBuild?.(found);
      return found;
    }
  }

  const labels: Record<string, string> = {
    ...(await sourceLabels(target)),
    [LABEL.version]: version,
    [LABEL.created]: new Date().toISOString(),
    [LABEL.title]: target.resolved.config.image,
    [LABEL.runnableDir]: target.path,
    [LABEL.stage]: options.stage,
    [LABEL.contextDigest]: digest,
    // What the test-result cache keys an image on, so clones of one commit share results.
    [LABEL.contentDigest]: contentDigest(context.entries, inputs),
    [LABEL.workspace]: target.root,
    ...(options.stage === "local" ? { [LABEL.user]: tagUser() } : {}),
  };
  const bytes = tarSize(context.entries);
  // What the engine waits for before its first step; as `docker build` says it.
  onEvent({ kind: "step", text: `sending the build context: ${plural(context.entries.length, "entry", "entries")}, ${(bytes / 1e6).toFixed(1)} MB` });
  const platform: BuildQuery = options.platform ? { platform: options.platform } : {};
  const body = { length: bytes, lentChunks: () => lentTarChunks(context.entries), stream: () => packContext(context.entries) };
  const query: BuildQuery = {
    dockerfile,
    buildargs: buildArgs,
    nocache: options.noCache ?? false,
    rm: true,
    forcerm: true,
    ...platform,
    ...(options.network ? { networkmode: options.network } : {}),
  };
  const unlabelled = await followBuild(await engine.build(body, query), onEvent, versioned(ref));
  const id = await putLabels(engine, unlabelled, labels, { t: versioned(ref), ...platform }, () => engine.build(body, { ...query, nocache: false, labels, t: versioned(ref) }), onEvent);
  await tag(engine, id, ref);
  const built = { ...result, id, skipped: false };
  await options.afterBuild?.(built);
  return built;
}

/**
 * dt's labels on the image just built, in one step of a build FROM it (Engine.labelImage); the
 * image built stays untagged as the labelled one's parent and goes when it is removed. An image
 * with ONBUILD triggers is built again with /build's own labels instead (`again`, every
 * Dockerfile step from the cache, then a step per label): FROM it would run its triggers and
 * leave the labelled image without them.
 */
async function putLabels(
  engine: Engine,
  unlabelled: string,
  labels: Record<string, string>,
  query: BuildQuery,
  again: () => Promise<ProgressStream>,
  onEvent: (e: BuildEvent) => void,
): Promise<string> {
  const count = plural(Object.keys(labels).length, "label");
  const name = String(query.t);
  if ((await engine.inspectImage(unlabelled))?.Config?.OnBuild?.length) {
    onEvent({ kind: "step", text: `labelling the image (${count}, a step each: it has ONBUILD triggers)` });
    return followBuild(await again(), () => {}, name);
  }
  onEvent({ kind: "step", text: `labelling the image (${count})` });
  return followBuild(await engine.labelImage(unlabelled, labels, query), () => {}, name);
}

/** A failure to reach a registry (a FROM image's pull), not a mistake in the Dockerfile. */
const NETWORK_FAILURE = /no such host|dial tcp|i\/o timeout|connection refused|network is unreachable|TLS handshake timeout|server misbehaving|Temporary failure in name resolution/i;

/** Reads the build stream to its end; a line with `error` is the failure, whatever the HTTP status. */
async function followBuild(stream: ProgressStream, onEvent: (e: BuildEvent) => void, name: string): Promise<string> {
  let id: string | undefined;
  let currentStep = "";
  let stepOutput: string[] = [];
  let failure: string | undefined;
  try {
    await readJsonLines(stream, (obj) => {
      if (obj.error || obj.errorDetail) {
        failure = String(obj.errorDetail?.message ?? obj.error).trim();
        return;
      }
      if (obj.aux?.ID) id = String(obj.aux.ID);
      const text = typeof obj.stream === "string" ? obj.stream : typeof obj.status === "string" ? obj.status : obj.raw;
      if (typeof text !== "string") return;
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        const step = /^Step \d+\/\d+ : /.exec(line);
        if (step) {
          currentStep = line;
          stepOutput = [];
          onEvent({ kind: "step", text: line });
        } else {
          const success = /^Successfully built ([0-9a-f]+)/.exec(line);
          if (success) id ??= success[1];
          stepOutput.push(line);
          if (stepOutput.length > 200) stepOutput.shift();
          onEvent({ kind: "output", text: line });
        }
      }
    });
  } catch (cause) {
    throw engineError(cause, `building ${name}`);
  }
  if (failure) {
    // The step's own output (a compiler's or pip's error), without the engine's bookkeeping.
    const output = stepOutput.filter((l) => !l.startsWith(" ---> ") && !l.startsWith("Removing intermediate container ")).slice(-30).join("\n");
    if (NETWORK_FAILURE.test(failure)) {
      throw envError(`building ${name} failed at ${currentStep || "the start"}: the engine could not reach a registry: ${failure}`, {
        hint: `check the FROM image (base_image in dt.yaml, or BASE_IMAGE in docker.build_args) and that its registry is reachable from the engine; offline, use a base image the engine already has ('docker images')`,
      });
    }
    throw workError(`building ${name} failed at ${currentStep || "the start"}: ${failure}${output ? `\n${output}` : ""}`, {
      hint: "fix the step above in the runnable dir's devops/ (dt init writes the templates out to edit)",
    });
  }
  if (!id) throw workError(`building ${name} ended without an image id`, { hint: "run again with --verbose" });
  return id;
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The ARGs of a build, later ones winning: dt's own (BASE_IMAGE from base_image, DT_VERSION,
 * DT_STAGE), then docker.build_args of dt.yaml (root, then the dir) with ${VERSION}, ${STAGE}
 * and ${IMAGE} filled in, then --build-arg. An unknown ${NAME} is a typo, not a literal.
 */
export function buildArgsFor(target: Target, stage: BuildStage, version: string, cli: Readonly<Record<string, string>>): Record<string, string> {
  const { config, sources } = target.resolved;
  const vars: Record<string, string> = { VERSION: version, STAGE: stage, IMAGE: config.image };
  const args: Record<string, string> = { BASE_IMAGE: config.base_image, DT_VERSION: version, DT_STAGE: stage };
  for (const [key, raw] of Object.entries(config.docker.build_args)) {
    args[key] = String(raw).replace(PLACEHOLDER, (whole, name: string) => {
      const value = vars[name];
      if (value !== undefined) return value;
      throw usageError(`docker.build_args.${key}: unknown placeholder ${whole}`, {
        where: sources[`docker.build_args.${key}`],
        hint: "use ${VERSION}, ${STAGE} or ${IMAGE}",
      });
    });
  }
  return { ...args, ...cli };
}

export function parseBuildArgs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw usageError(`--build-arg ${v} is not KEY=VALUE`, { hint: "e.g. --build-arg PIP_INDEX_URL=https://..." });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

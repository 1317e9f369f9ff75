import { arch } from "node:os";
import { relative } from "node:path";
import { DtError, envError, usageError } from "../base/errors.ts";
import type { Engine, ImageInfo } from "../engine/engine.ts";
import { localKey, localKeyOf } from "../engine/local-stages.ts";
import { versionsMatch } from "../version/policy.ts";
import { rcompare, valid } from "../version/semver.ts";
import { floating, isUsersLocalImage, LABEL, tagUser, versioned, type ImageRef, type Stage } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { SubRepo } from "../workspace/workspace.ts";
import { CONTAINER_LABEL, createContainer, discardContainer, runContainer, type ContainerIO, type RunSpec } from "./containers.ts";
import { containerEnv, containerRoot, expandVolume, parseMemory, toContainerPath } from "./run-env.ts";

export interface RunOptions {
  /** The host dir to start in (the current dir, when it is in the workspace); default: the target dir. */
  workdir?: string;
  stage?: Stage;
  version?: string;
  root?: boolean;
  sibling?: boolean;
  dind?: boolean;
  skipChecks?: boolean;
  /** Pull the dev/prod image before running, even if present. */
  pull?: boolean;
  cmd?: string[];
  ports?: { container: number; host: number }[];
  network?: string;
  /** Set in the container on top of dt's own variables (not on any command line). */
  env?: Record<string, string>;
}

const hostArch = () => (arch() === "x64" ? "amd64" : arch());

export interface ChosenImage {
  ref: ImageRef;
  name: string;
  info: ImageInfo | undefined;
  /** Set when the image is not the code's exact version but one version_policy allows. */
  notice?: string;
  /** A missing local image: the versions this workspace does have, newest first. */
  otherVersions?: string[];
}

/** The local images this user built in this workspace for the dir, found by their labels, newest version first. */
async function localImagesOf(engine: Engine, target: Target): Promise<{ id: string; version: string }[]> {
  const labels = [`${LABEL.workspace}=${target.root}`, `${LABEL.runnableDir}=${target.path}`, `${LABEL.stage}=local`];
  const user = tagUser();
  const found = (await engine.listImages({ labels }))
    .filter((i) => isUsersLocalImage(i.Labels ?? {}, i.RepoTags ?? [], user, target.key))
    .map((i) => ({ id: i.Id, version: i.Labels?.[LABEL.version] ?? "" }))
    .filter((i) => valid(i.version));
  return found.sort((a, b) => rcompare(a.version, b.version));
}

/** Whether an image is this user's local build of the dir at `version`, in this workspace (its labels). */
const isLocalBuild = (info: ImageInfo, target: Target, version: string) =>
  localKeyOf({ Labels: info.Config?.Labels, RepoTags: info.RepoTags }, tagUser()) === localKey(target.root, target.path, version);

const policyNotice = (target: Target, name: string, version: string) =>
  `using ${name}: version ${version}, which version_policy ${target.resolved.config.version_policy} allows for the code's ${target.version}`;

/**
 * The local image of this workspace for the dir: the exact version first, else (without an
 * explicit version) the newest one version_policy allows. Found by labels, then named as this
 * workspace names it now: an image built under another name (an older tag scheme, another
 * `registry:`) is tagged once, so nothing is orphaned.
 */
async function chooseLocal(engine: Engine, target: Target, version: string | undefined, accept: "exact" | "policy" | "any"): Promise<ChosenImage | undefined> {
  const want = version ?? target.version;
  // The usual case in one request instead of two: the exact version, under the name this
  // workspace gives it, with the labels of this workspace's build of this dir.
  const wantRef = target.ref("local", want);
  const named = await engine.inspectImage(versioned(wantRef));
  if (named && isLocalBuild(named, target, want)) return { ref: wantRef, name: versioned(wantRef), info: named };
  const images = await localImagesOf(engine, target);
  const exact = images.find((i) => i.version === want);
  const policy = target.resolved.config.version_policy;
  const allowed = (v: string) => accept === "any" || (accept === "policy" && versionsMatch(policy, v, target.version));
  const pick = exact ?? (version ? undefined : images.find((i) => allowed(i.version)));
  if (!pick) return undefined;
  const ref = target.ref("local", pick.version);
  const name = versioned(ref);
  let info = pick.version === want ? named : await engine.inspectImage(name);
  if (info?.Id !== pick.id) {
    await engine.tagImage(pick.id, ref.repository, ref.versionedTag);
    info = await engine.inspectImage(name);
  }
  return { ref, name, info, notice: exact ? undefined : policyNotice(target, name, pick.version) };
}

/** A released image on this engine: `STAGE-X.Y.Z`, else (without an explicit version) the floating tag if policy allows it. */
async function chooseReleased(engine: Engine, target: Target, stage: "dev" | "prod", version: string | undefined): Promise<ChosenImage | undefined> {
  const ref = target.ref(stage, version);
  const name = versioned(ref);
  const info = await engine.inspectImage(name);
  if (info) return { ref, name, info };
  if (version) return undefined;
  const floatingName = floating(ref);
  const floatingInfo = await engine.inspectImage(floatingName);
  const labelled = floatingInfo?.Config?.Labels?.[LABEL.version];
  if (!floatingInfo || !labelled || !versionsMatch(target.resolved.config.version_policy, labelled, target.version)) return undefined;
  const notice = labelled === target.version ? undefined : policyNotice(target, floatingName, labelled);
  return { ref: target.ref(stage, labelled), name: floatingName, info: floatingInfo, notice };
}

/**
 * Which image a run uses (SPEC, image identity): with a stage, that stage's; without, the code's
 * exact version first (local, then dev), then what version_policy allows (local, then dev). A
 * result without `info` is missing: a dev/prod one may be pulled, a local one is "not built here".
 */
export async function chooseImage(
  engine: Engine,
  target: Target,
  stage: Stage | undefined,
  version: string | undefined,
  options: { skipChecks?: boolean } = {},
): Promise<ChosenImage> {
  const missing = async (s: Stage): Promise<ChosenImage> => {
    const ref = target.ref(s, version);
    // What there is instead, for the error: the local versions the policy did not allow.
    const others = s === "local" ? (await localImagesOf(engine, target)).map((i) => i.version) : [];
    return { ref, name: versioned(ref), info: undefined, otherVersions: others };
  };
  // --skip-checks: the version check is off, so the newest local image of any version will do.
  const fallback = options.skipChecks ? "any" : "policy";
  if (stage === "local") return (await chooseLocal(engine, target, version, fallback)) ?? missing("local");
  if (stage) return (await chooseReleased(engine, target, stage, version)) ?? missing(stage);
  return (
    (await chooseLocal(engine, target, version, "exact")) ??
    // The exact version, so no floating tag yet.
    (await chooseReleased(engine, target, "dev", version ?? target.version)) ??
    (version ? undefined : await chooseLocal(engine, target, undefined, fallback)) ??
    (version ? undefined : await chooseReleased(engine, target, "dev", undefined)) ??
    (await missing("local"))
  );
}

/**
 * `chooseImage`, then the SPEC's pulls: with `pull` always (for dev/prod), and whenever the
 * chosen dev/prod image is absent and a registry is configured: the versioned tag, else (no
 * --version) the floating one.
 */
export async function resolveRunImage(
  engine: Engine,
  target: Target,
  options: { stage?: Stage; version?: string; pull?: boolean; skipChecks?: boolean },
  onPull: (text: string) => void = () => {},
): Promise<ChosenImage> {
  const chosen = await chooseImage(engine, target, options.stage, options.version, { skipChecks: options.skipChecks });
  const stage = chosen.ref.stage;
  if (stage === "local" || !(options.pull || !chosen.info)) return chosen;
  const tags = options.version ? [chosen.ref.versionedTag] : [...new Set([target.ref(stage).versionedTag, chosen.ref.floatingTag])];
  const onEvent = (e: { kind: string; text?: string }) => e.kind === "step" && e.text && onPull(e.text);
  const missing: string[] = [];
  // Loaded only to pull: the registry client is most of what a run would otherwise load.
  const [{ pullForRun }, { NotInRegistryError }] = await Promise.all([import("../registry/stage-ops.ts"), import("../registry/transfer.ts")]);
  for (const [i, tag] of tags.entries()) {
    try {
      if (!(await pullForRun(engine, target, stage, tag, onEvent))) return chosen;
    } catch (e) {
      if (e instanceof NotInRegistryError) missing.push(e.reference);
      // The versioned tag may not be released (yet): the floating one may still be allowed.
      if (i < tags.length - 1 && e instanceof DtError && e.exitCode === 3) continue;
      if (missing.length === tags.length) {
        throw envError(`${target.path === "." ? "the root dir" : target.path} has no ${stage} release in the registry: ${missing.join(" and ")} ${missing.length > 1 ? "do" : "does"} not exist`, {
          hint: `dt docker release ${stage}`,
        });
      }
      throw e;
    }
    return (await chooseReleased(engine, target, stage, options.version)) ?? chosen;
  }
  return chosen;
}

/** The image `name` of `target` is not on this engine: what to run to get it (`otherVersions`: local images of other versions). */
export function missingImageError(ref: ImageRef, name: string, target: Pick<Target, "path" | "resolved">, otherVersions: readonly string[] = []) {
  const { version_policy: policy, registry } = target.resolved.config;
  if (ref.stage === "local") {
    const what = target.path === "." ? "the root dir" : target.path;
    const has = otherVersions.length
      ? `; this workspace has ${otherVersions.join(", ")}, which version_policy ${policy} does not allow for the code's ${ref.version}`
      : "";
    return envError(`${what} ${ref.version} is not built in this workspace (no local image ${name}, nor a dev image it may use${has})`, {
      // A released image to pull exists only where there is a registry to pull it from.
      hint: `dt docker build${registry === null ? "" : " (or dt docker pull --stage dev, for the released image)"}${otherVersions.length ? "; --skip-checks runs the newest one anyway" : ""}`,
    });
  }
  // Without a registry there is nothing to pull from: a dev image is only ever released to one.
  const fix =
    registry === null
      ? ref.stage === "prod"
        ? "dt docker build --stage prod (a released one needs registry: in dt.yaml or DT_REGISTRY, then dt docker pull --stage prod)"
        : "dev images are released to a registry: set registry: in dt.yaml (or DT_REGISTRY), then dt docker pull --stage dev; or run the local image (without --stage)"
      : ref.stage === "prod"
        ? "dt docker build --stage prod (or dt docker pull --stage prod)"
        : "dt docker pull --stage dev";
  return envError(`image ${name} does not exist on this engine`, { hint: fix });
}

/** The checks of the SPEC before a start: architecture and the code-to-container version. */
export function checkImage(target: Target, ref: ImageRef, name: string, info: ImageInfo): void {
  const imageArch = info.Architecture;
  if (imageArch && imageArch !== hostArch()) {
    throw envError(`image ${name} is for ${info.Os}/${imageArch}, this host is linux/${hostArch()}`, {
      hint: `build for this host ('dt docker build'), or run it anyway with --skip-checks`,
    });
  }
  const imageVersion = info.Config?.Labels?.[LABEL.version];
  const policy = target.resolved.config.version_policy;
  if (!imageVersion) {
    throw envError(`image ${name} has no ${LABEL.version} label, so its version is unknown`, {
      hint: "rebuild it with 'dt docker build', or use --skip-checks",
    });
  }
  if (!versionsMatch(policy, imageVersion, target.version)) {
    const fix = ref.stage === "local" ? "rebuild: dt docker build" : `pull or build the ${target.version} image (dt docker pull --stage ${ref.stage})`;
    throw envError(
      `image ${name} is version ${imageVersion} but the code needs ${target.version} (version_policy: ${policy})`,
      { hint: `${fix}; or run anyway with --skip-checks` },
    );
  }
}

/** The container of a target dir: `dt docker bash|cmd|jupyter` and each dir of `dt test`. */
export function runSpecFor(target: Target, subRepos: readonly SubRepo[], ref: ImageRef, name: string, options: RunOptions): RunSpec {
  const { config } = target.resolved;
  const mount = config.docker.mount;
  const bindWorkspace = ref.stage !== "prod";
  const workdir = options.workdir !== undefined && !relative(target.root, options.workdir).startsWith("..") ? options.workdir : target.absPath;
  const workingDir = bindWorkspace ? toContainerPath(target.root, mount, workdir) : "/app";
  const env = {
    ...containerEnv({
      vars: { root: target.root, targetDir: target.absPath, image: name, version: ref.version, stage: ref.stage },
      config,
      subRepos: bindWorkspace ? subRepos : [],
    }),
    ...options.env,
  };
  // No bytecode in the bind-mounted sources: written as root (--root) it would make sub-repos
  // dirty for `dt subrepo roll-forward`, and it is the host's tree, not the container's.
  if (bindWorkspace) env.PYTHONDONTWRITEBYTECODE = "1";
  if (!bindWorkspace) {
    delete env.DT_PYTHONPATH;
    delete env.DT_PATH;
    env.DT_WORKSPACE = "/app";
    env.DT_TARGET_DIR = "/app";
  }
  const binds = bindWorkspace ? [`${target.root}:${containerRoot(target.root, mount)}`] : [];
  binds.push(...config.docker.volumes.map(expandVolume));
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    image: name,
    cmd: options.cmd,
    env,
    workingDir,
    user: options.root ? undefined : `${uid}:${gid}`,
    binds,
    labels: { [CONTAINER_LABEL.workspace]: target.root, [CONTAINER_LABEL.runnableDir]: target.path },
    namePrefix: config.image,
    sibling: options.sibling ?? config.docker.sibling,
    dind: options.dind ?? config.docker.dind,
    network: options.network,
    ports: options.ports,
    memory: config.docker.memory ? parseMemory(config.docker.memory) : undefined,
  };
}

/** Refuses option combinations before anything is resolved or started. */
export function checkRunOptions(options: RunOptions): void {
  if (options.stage === "prod" && options.sibling) {
    throw usageError("--sibling needs the workspace mounted, which a prod container does not have", { hint: "drop --sibling or use --stage local" });
  }
}

/**
 * The container of the image a run usually gets (the code's exact local version, named without
 * asking the engine), created while the engine is asked which image it really is: a run then
 * waits for one round trip, not two. Undefined where there is no usual guess (another stage,
 * `--pull`), or when the engine refuses (no such image: the lookup says what to do).
 */
async function createEarly(engine: Engine, target: Target, subRepos: readonly SubRepo[], options: RunOptions, io: ContainerIO) {
  if ((options.stage !== undefined && options.stage !== "local") || options.pull) return undefined;
  try {
    const ref = target.ref("local", options.version);
    const name = versioned(ref);
    return { name, version: ref.version, created: await createContainer(engine, runSpecFor(target, subRepos, ref, name, options), io) };
  } catch {
    return undefined;
  }
}

/** `dt docker bash|cmd|jupyter`: choose the image, check it with one inspect, run; returns the exit code. */
export async function runInContainer(
  engine: Engine,
  target: Target,
  subRepos: readonly SubRepo[],
  options: RunOptions,
  io: ContainerIO,
  onPull: (text: string) => void = () => {},
): Promise<number> {
  checkRunOptions(options);
  const early = createEarly(engine, target, subRepos, options, io);
  const discard = async (guess: Awaited<typeof early>) => {
    if (guess) await discardContainer(engine, guess.created).catch(() => {});
  };
  let chosen: ChosenImage;
  try {
    chosen = await resolveRunImage(engine, target, options, onPull);
    if (!chosen.info) throw missingImageError(chosen.ref, chosen.name, target, chosen.otherVersions);
    if (chosen.notice) onPull(chosen.notice);
    if (!options.skipChecks) checkImage(target, chosen.ref, chosen.name, chosen.info);
  } catch (error) {
    await discard(await early);
    throw error;
  }
  const { ref, name } = chosen;
  const guess = await early;
  // The same image name and version make the same spec: then the early container is this run's.
  const mine = guess && guess.name === name && guess.version === ref.version && ref.stage === "local" ? guess.created : undefined;
  if (!mine) await discard(guess);
  return runContainer(engine, runSpecFor(target, subRepos, ref, name, options), io, mine);
}

import { arch } from "node:os";
import { relative } from "node:path";
import { envError, usageError } from "../base/errors.ts";
import type { Engine, ImageInfo } from "../engine/engine.ts";
import { pullForRun } from "../registry/stage-ops.ts";
import { versionsMatch } from "../version/policy.ts";
import { floating, LABEL, versioned, type ImageRef, type Stage } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { SubRepo } from "../workspace/workspace.ts";
import { CONTAINER_LABEL, runContainer, type ContainerIO, type RunSpec } from "./containers.ts";
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
}

/** Which image a run uses: `--version` picks the versioned tag, otherwise the floating one. */
export async function chooseImage(engine: Engine, target: Target, stage: Stage | undefined, version: string | undefined): Promise<ChosenImage> {
  const pick = async (s: Stage) => {
    const ref = target.ref(s, version);
    const name = version ? versioned(ref) : floating(ref);
    return { ref, name, info: await engine.inspectImage(name) };
  };
  if (stage) return pick(stage);
  // The SPEC's default: the local image if it is built, else the released dev image.
  const local = await pick("local");
  if (local.info) return local;
  const dev = await pick("dev");
  return dev.info ? dev : local;
}

/**
 * `chooseImage`, then the SPEC's pulls: with `pull` always (for dev/prod), and whenever the
 * chosen dev/prod image is absent and a registry is configured.
 */
export async function resolveRunImage(
  engine: Engine,
  target: Target,
  options: { stage?: Stage; version?: string; pull?: boolean },
  onPull: (text: string) => void = () => {},
): Promise<ChosenImage> {
  let chosen = await chooseImage(engine, target, options.stage, options.version);
  if (chosen.ref.stage !== "local" && (options.pull || !chosen.info)) {
    const tag = chosen.name.slice(chosen.ref.repository.length + 1);
    if (await pullForRun(engine, target, chosen.ref.stage, tag, (e) => e.kind === "step" && onPull(e.text))) {
      chosen = { ...chosen, info: await engine.inspectImage(chosen.name) };
    }
  }
  return chosen;
}

export function missingImageError(ref: ImageRef, name: string) {
  const fix = ref.stage === "local" ? "dt docker build" : ref.stage === "prod" ? "dt docker build --stage prod (or dt docker pull --stage prod)" : "dt docker pull --stage dev";
  return envError(`image ${name} does not exist on this engine`, { hint: `${fix}${ref.stage === "local" ? " (or use --stage dev)" : ""}` });
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
  const { ref, name, info } = await resolveRunImage(engine, target, options, onPull);
  if (!info) throw missingImageError(ref, name);
  if (!options.skipChecks) checkImage(target, ref, name, info);
  return runContainer(engine, runSpecFor(target, subRepos, ref, name, options), io);
}

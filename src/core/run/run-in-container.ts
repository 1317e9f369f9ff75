import type Docker from "dockerode";
import { arch } from "node:os";
import { join, relative } from "node:path";
import { CONTAINER_LABEL, runContainer, type RunSpec } from "./containers.ts";
import { connect, inspectImage, type ImageInfo } from "../engine/engine.ts";
import { envError, usageError } from "../base/errors.ts";
import { floating, LABEL, versioned, type ImageRef, type Stage } from "../workspace/image-ref.ts";
import { containerEnv, containerRoot, expandVolume, parseMemory, toContainerPath } from "./run-env.ts";
import { loadTarget, type Target } from "../workspace/target.ts";
import { versionsMatch } from "../version/policy.ts";
import { findSubRepos } from "../workspace/workspace.ts";
import { writeAll } from "../../ui/fd.ts";

export interface RunOptions {
  cwd: string;
  dir?: string;
  stage?: Stage;
  version?: string;
  root?: boolean;
  sibling?: boolean;
  dind?: boolean;
  skipChecks?: boolean;
  interactive: boolean;
  /** Pull the dev/prod image before running, even if present. */
  pull?: boolean;
  cmd?: string[];
  ports?: { container: number; host: number }[];
  network?: string;
}

const hostArch = () => (arch() === "x64" ? "amd64" : arch());

/** Which image a run uses: `--version` picks the versioned tag, otherwise the floating one. */
export async function chooseImage(
  docker: Docker,
  target: Target,
  stage: Stage | undefined,
  version: string | undefined,
): Promise<{ ref: ImageRef; name: string; info: ImageInfo | undefined }> {
  const pick = async (s: Stage) => {
    const ref = target.ref(s, version);
    const name = version ? versioned(ref) : floating(ref);
    return { ref, name, info: await inspectImage(docker, name) };
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
  docker: Docker,
  target: Target,
  options: { stage?: Stage; version?: string; pull?: boolean },
  onPull: (text: string) => void = () => {},
): Promise<{ ref: ImageRef; name: string; info: ImageInfo | undefined }> {
  let chosen = await chooseImage(docker, target, options.stage, options.version);
  if (chosen.ref.stage !== "local" && (options.pull || !chosen.info)) {
    const { pullForRun } = await import("../registry/stage-ops.ts");
    const tag = chosen.name.slice(chosen.ref.repository.length + 1);
    if (await pullForRun(docker, target, chosen.ref.stage, tag, (e) => e.kind === "step" && onPull(e.text))) {
      chosen = { ...chosen, info: await inspectImage(docker, chosen.name) };
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

/** The container of a `dt docker bash|cmd|jupyter` (and, later, `dt test`) for a target. */
export function runSpecFor(target: Target, ref: ImageRef, name: string, options: RunOptions): RunSpec {
  const { config } = target.resolved;
  const mount = config.docker.mount;
  const bindWorkspace = ref.stage !== "prod";
  const inWorkspace = !relative(target.root, options.cwd).startsWith("..");
  const hostWorkdir = options.dir === undefined && inWorkspace ? options.cwd : target.absPath;
  const workingDir = bindWorkspace ? toContainerPath(target.root, mount, hostWorkdir) : "/app";
  const env = containerEnv({
    vars: { root: target.root, targetDir: target.absPath, image: name, version: ref.version, stage: ref.stage },
    config,
    subRepos: bindWorkspace ? findSubRepos(target.root) : [],
  });
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
    interactive: options.interactive,
    sibling: options.sibling ?? config.docker.sibling,
    dind: options.dind ?? config.docker.dind,
    network: options.network,
    ports: options.ports,
    memory: config.docker.memory ? parseMemory(config.docker.memory) : undefined,
  };
}

/** `dt docker bash|cmd`: resolve, check with one image inspect, run; returns the exit code. */
export async function runInContainer(options: RunOptions): Promise<number> {
  if (options.stage === "prod" && options.sibling) {
    throw usageError("--sibling needs the workspace mounted, which a prod container does not have", { hint: "drop --sibling or use --stage local" });
  }
  const [target, docker] = await Promise.all([loadTarget(options.cwd, options.dir), connect()]);
  const { ref, name, info } = await resolveRunImage(docker, target, options, (text) => writeAll(2, `${text}\n`));
  if (!info) throw missingImageError(ref, name);
  if (!options.skipChecks) checkImage(target, ref, name, info);
  return runContainer(docker, runSpecFor(target, ref, name, options));
}

export const workspaceMountFor = (target: Target) => join(containerRoot(target.root, target.resolved.config.docker.mount));

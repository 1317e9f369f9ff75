import { arch } from "node:os";
import { join } from "node:path";
import semver from "semver";
import { envError, usageError, workError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { parseToml, readPythonProject } from "../build/poetry-lock.ts";
import type { Engine } from "../engine/engine.ts";
import { chooseImage, missingImageError } from "../run/run-in-container.ts";
import type { BumpKind } from "../version/changelog.ts";
import { bumpVersion } from "../version/changelog-file.ts";
import { LABEL } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { SubRepo } from "../workspace/workspace.ts";
import { diffPackages, isEmptyDiff, packagesFrom, type PackageDiff, type Packages } from "./packages.ts";
import { resolveInContainer, type PoetryCommand } from "./resolve.ts";

export interface LockOptions {
  command: PoetryCommand;
  network?: string;
  /** Prepend a changelog entry when packages moved, so the image's version moves with them. */
  bump?: { kind: BumpKind; notes: string[] };
  onLine?: (line: string) => void;
  onNotice?: (text: string) => void;
}

export interface LockResult {
  dir: string;
  /** The image poetry ran in. */
  image: string;
  lockFile: string;
  /** poetry.lock was rewritten (packages moved, or only its hash did). */
  written: boolean;
  diff: PackageDiff;
  /** The lock changed: the dir's local image no longer matches it. */
  stale: boolean;
  /** That image's name, when there is one. */
  staleImage: string | null;
  /** The version after `bump`, or null when nothing was bumped. */
  version: string | null;
}

type Table = Record<string, unknown>;

/** name -> version of every `[[package]]` of a poetry.lock. */
export function lockedPackages(text: string | undefined, file: string): Packages {
  if (text === undefined) return new Map();
  const list = parseToml(text, file).package;
  if (!Array.isArray(list)) return new Map();
  return packagesFrom(
    list.filter((p): p is Table => typeof p === "object" && p !== null).map((p) => ({ name: String(p.name ?? ""), version: String(p.version ?? "") })),
  );
}

/**
 * A path dependency is resolved relative to the project and written into the lock relative to
 * where poetry ran; the copy dt resolves in is elsewhere, so the lock would name wrong paths.
 */
function assertNoPathDependencies(pyproject: Table, file: string): void {
  const tool = (pyproject.tool ?? {}) as Table;
  const poetry = (tool.poetry ?? {}) as Table;
  const groups = Object.values((poetry.group ?? {}) as Record<string, Table>).map((g) => g?.dependencies);
  for (const deps of [poetry.dependencies, poetry["dev-dependencies"], ...groups]) {
    if (typeof deps !== "object" || deps === null) continue;
    for (const [name, spec] of Object.entries(deps as Table)) {
      const specs = Array.isArray(spec) ? spec : [spec];
      if (specs.some((s) => typeof s === "object" && s !== null && "path" in s)) {
        throw usageError(`${file}: ${name} is a path dependency, which dt deps cannot resolve`, {
          where: file,
          hint: "share code between runnable dirs through devops/docker_build/python_packages/ (see docs), or publish it to your index",
        });
      }
    }
  }
}

const hostArch = () => (arch() === "x64" ? "amd64" : arch());

/**
 * The image to resolve in: the dir's local image (the code's version, else what version_policy
 * allows), else its newest local image of any version. Resolution needs the image's OS, Python and
 * poetry, not its packages, and a stale lock keeps `dt docker build` from making a new one.
 */
async function imageToResolveIn(engine: Engine, target: Target, onNotice: (text: string) => void) {
  const chosen = await chooseImage(engine, target, "local", undefined);
  if (chosen.info) {
    if (chosen.notice) onNotice(chosen.notice);
    return chosen;
  }
  const labels = [`${LABEL.workspace}=${target.root}`, `${LABEL.runnableDir}=${target.path}`, `${LABEL.stage}=local`];
  const versions = (await engine.listImages({ labels })).map((i) => i.Labels?.[LABEL.version] ?? "").filter((v) => semver.valid(v));
  const newest = versions.sort(semver.rcompare)[0];
  if (newest) {
    const older = await chooseImage(engine, target, "local", newest);
    if (older.info) {
      onNotice(`resolving in ${older.name}, the newest local image of this dir (the code is ${target.version})`);
      return older;
    }
  }
  throw missingImageError(chosen.ref, chosen.name, target);
}

/**
 * `dt deps lock` and `dt deps update`: poetry resolves in a container of the dir's local image,
 * the new lock is written atomically where the build reads it, and what moved is returned.
 */
export async function lockDeps(engine: Engine, target: Target, subRepos: readonly SubRepo[], options: LockOptions): Promise<LockResult> {
  const project = readPythonProject(target.absPath, target.path);
  if (project.pyproject === undefined) {
    throw usageError(`${project.pyprojectFile} does not exist: dt deps works on a poetry project`, {
      hint: "write a pyproject.toml with [tool.poetry] and [tool.poetry.dependencies] in the runnable dir",
    });
  }
  assertNoPathDependencies(parseToml(project.pyproject, project.pyprojectFile), project.pyprojectFile);
  const before = lockedPackages(project.lock, project.lockFile);
  const onNotice = options.onNotice ?? (() => {});

  const image = await imageToResolveIn(engine, target, onNotice);
  if (image.info!.Architecture && image.info!.Architecture !== hostArch()) {
    throw envError(`image ${image.name} is for ${image.info!.Os}/${image.info!.Architecture}, this host is linux/${hostArch()}`, { hint: "dt docker build" });
  }
  const lock = await resolveInContainer(engine, target, subRepos, image, options.command, { network: options.network, onLine: options.onLine });

  // The user may have saved pyproject.toml while poetry worked: that lock would be stale at birth.
  if (readText(join(target.absPath, "pyproject.toml")) !== project.pyproject) {
    throw workError(`${project.pyprojectFile} changed while poetry resolved it; poetry.lock was left as it was`, { hint: "run it again" });
  }
  const diff = diffPackages(before, lockedPackages(lock, project.lockFile));
  const written = lock !== project.lock;
  if (written) writeFileAtomic(join(target.absPath, "poetry.lock"), lock);

  let version: string | null = null;
  if (options.bump && !isEmptyDiff(diff)) version = bumpVersion(target, options.bump.kind, options.bump.notes);
  const current = await chooseImage(engine, target, "local", target.version);
  return {
    dir: target.path,
    image: image.name,
    lockFile: project.lockFile,
    written,
    diff,
    stale: written,
    staleImage: written && current.info ? current.name : null,
    version,
  };
}

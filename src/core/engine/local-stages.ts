import type { Engine, ImageSummary } from "./engine.ts";
import { imageRef, isUsersLocalImage, LABEL, STAGES, tagUser, type Stage, versioned, workspaceKey } from "../workspace/image-ref.ts";

export type StagesPresent = Record<Stage, boolean>;

export interface ImageOfDir {
  /** The runnable dir, relative to the workspace root. */
  path: string;
  image: string;
  registry: string | null;
  version: string | null;
}

export interface EngineImages {
  /** Every `REPOSITORY:TAG` the engine has, or null when it could not be asked. */
  tags: ReadonlySet<string> | null;
  /** The local images dt built, as `workspace\0dir\0version` from their labels. */
  local: ReadonlySet<string> | null;
  /** Why the engine could not be asked, or null. A listing goes on without it. */
  engineProblem: string | null;
}

/** How a local image is known from its labels: the workspace and dir that built it, its version. */
export const localKey = (workspace: string, dir: string, version: string) => `${workspace}\0${dir}\0${version}`;

/** The local image's key when it is `user`'s (local images are per user, as their tags say). */
function localKeyOf(image: ImageSummary, user: string): string | undefined {
  const labels = image.Labels ?? {};
  const [workspace, dir, version] = [labels[LABEL.workspace], labels[LABEL.runnableDir], labels[LABEL.version]];
  if (labels[LABEL.stage] !== "local" || workspace === undefined || dir === undefined || version === undefined) return undefined;
  // The key is needed only for an image without a user label (built before there was one).
  const key = labels[LABEL.user] === undefined ? workspaceKey(workspace) : "";
  if (!isUsersLocalImage(labels, image.RepoTags ?? [], user, key)) return undefined;
  return localKey(workspace, dir, version);
}

/**
 * The engine's images from one listing: tags (dev and prod are known by name) and the local
 * images by their labels (local tags carry a workspace key, but the labels are what says which
 * checkout built an image, whatever `registry:` was then). It never throws: an engine that does
 * not answer makes the stages unknown rather than failing `dt ls`. Start it early; it needs
 * nothing from the workspace scan.
 */
export async function engineImages(engine: Engine, options: { timeoutMs?: number } = {}): Promise<EngineImages> {
  try {
    const images = await engine.listImages({ timeoutMs: options.timeoutMs ?? 2000 });
    const user = tagUser();
    const local = new Set(images.map((i) => localKeyOf(i, user)).filter((k): k is string => k !== undefined));
    return { tags: new Set(images.flatMap((i) => i.RepoTags ?? [])), local, engineProblem: null };
  } catch (cause) {
    return { tags: null, local: null, engineProblem: cause instanceof Error ? cause.message : String(cause) };
  }
}

/**
 * Which stages of the dir's current version this engine has (SPEC: `dt ls`): local when an image
 * this workspace built for the dir carries that version; dev and prod by their versioned tags.
 */
export function stagesIn(images: Pick<EngineImages, "tags" | "local">, root: string, dir: ImageOfDir): StagesPresent | null {
  const { version } = dir;
  if (!images.tags || !images.local || !version) return null;
  const byTag = (stage: Stage) => images.tags!.has(versioned(imageRef({ registry: dir.registry, image: dir.image, stage, version })));
  const present = {} as StagesPresent;
  for (const stage of STAGES) present[stage] = stage === "local" ? images.local.has(localKey(root, dir.path, version)) : byTag(stage);
  return present;
}

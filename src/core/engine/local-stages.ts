import type { Engine } from "./engine.ts";
import { imageRef, STAGES, type Stage, versioned } from "../workspace/image-ref.ts";

export type StagesPresent = Record<Stage, boolean>;

export interface ImageOfDir {
  image: string;
  registry: string | null;
  version: string | null;
}

export interface LocalTags {
  /** Every `REPOSITORY:TAG` the engine has, or null when it could not be asked. */
  tags: ReadonlySet<string> | null;
  /** Why the engine could not be asked, or null. A listing goes on without it. */
  engineProblem: string | null;
}

/**
 * The engine's image tags from one listing. It never throws: an engine that does not answer
 * makes the stages unknown rather than failing `dt ls`, which still shows the workspace.
 * Start it early; it needs nothing from the workspace scan.
 */
export async function localTags(engine: Engine, options: { timeoutMs?: number } = {}): Promise<LocalTags> {
  try {
    const images = await engine.listImages({ timeoutMs: options.timeoutMs ?? 2000 });
    return { tags: new Set(images.flatMap((i) => i.RepoTags ?? [])), engineProblem: null };
  } catch (cause) {
    return { tags: null, engineProblem: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** Which stages of the dir's current version have their versioned tag among `tags` (SPEC: `dt ls`). */
export function stagesIn(tags: ReadonlySet<string> | null, dir: ImageOfDir, user?: string): StagesPresent | null {
  const { version } = dir;
  if (!tags || !version) return null;
  const present = {} as StagesPresent;
  for (const stage of STAGES) present[stage] = tags.has(versioned(imageRef({ registry: dir.registry, image: dir.image, stage, version, user })));
  return present;
}

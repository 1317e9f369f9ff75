import { connect, engineError } from "./engine.ts";
import { imageRef, STAGES, type Stage, versioned } from "./image-ref.ts";

export type StagesPresent = Record<Stage, boolean>;

export interface ImageOfDir {
  image: string;
  registry: string | null;
  version: string | null;
}

export interface LocalStages {
  /** Per dir, in the order given: which stages' images of its current version the engine has; null when unknown. */
  stages: (StagesPresent | null)[];
  /** Why the engine could not be asked, or null. A listing goes on without it. */
  engineProblem: string | null;
}

/**
 * Which stages of each dir's current version exist on the local engine (SPEC: `dt ls`), from one
 * image listing. An engine that does not answer makes every answer unknown rather than failing,
 * so `dt ls` still shows the workspace.
 */
export async function localStages(dirs: readonly ImageOfDir[], options: { timeoutMs?: number } = {}): Promise<LocalStages> {
  if (dirs.length === 0) return { stages: [], engineProblem: null };
  let tags: Set<string>;
  try {
    const docker = await connect({ timeoutMs: options.timeoutMs ?? 2000 });
    const images = await docker.listImages();
    tags = new Set(images.flatMap((i) => i.RepoTags ?? []));
  } catch (cause) {
    return { stages: dirs.map(() => null), engineProblem: engineError(cause, "listing images").message };
  }
  return { stages: dirs.map((d) => stagesIn(tags, d)), engineProblem: null };
}

export function stagesIn(tags: ReadonlySet<string>, dir: ImageOfDir, user?: string): StagesPresent | null {
  const { version } = dir;
  if (!version) return null;
  const present = {} as StagesPresent;
  for (const stage of STAGES) present[stage] = tags.has(versioned(imageRef({ registry: dir.registry, image: dir.image, stage, version, user })));
  return present;
}

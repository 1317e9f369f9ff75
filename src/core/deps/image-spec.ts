import { envError } from "../base/errors.ts";
import type { Engine } from "../engine/engine.ts";
import { chooseImage, missingImageError } from "../run/run-in-container.ts";
import { STAGES, type Stage } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";

export interface NamedImage {
  /** What the user wrote. */
  spec: string;
  /** The image name it resolved to. */
  image: string;
  id: string;
}

/**
 * An image named as `dt deps diff` takes it: a stage (`local`, `dev`, `prod`: the image a run of
 * that stage uses), a stage and version (`dev-1.2.0`, `local-1.0.0`: that version of the dir's
 * image), or any image reference or id the engine knows.
 */
export async function resolveImageSpec(engine: Engine, target: Target, spec: string): Promise<NamedImage> {
  const staged = /^(local|dev|prod)(?:-(\d+\.\d+\.\d+\S*))?$/.exec(spec);
  if (staged && STAGES.includes(staged[1] as Stage)) {
    const chosen = await chooseImage(engine, target, staged[1] as Stage, staged[2]);
    if (!chosen.info) throw missingImageError(chosen.ref, chosen.name, target);
    return { spec, image: chosen.name, id: chosen.info.Id };
  }
  const info = await engine.inspectImage(spec);
  if (!info) {
    throw envError(`no image ${spec} on this engine`, {
      hint: "name a stage (local, dev, prod), a stage and version (dev-1.2.0), or an image the engine has ('dt docker images')",
    });
  }
  return { spec, image: spec, id: info.Id };
}

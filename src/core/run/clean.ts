import type { Engine } from "../engine/engine.ts";
import { LABEL } from "../workspace/image-ref.ts";
import { isOrphan, listDtContainers, type DtContainer } from "./containers.ts";

export interface CleanResult {
  containers: DtContainer[];
  images: string[];
}

/**
 * Removes what dt left behind: orphaned containers and untagged images dt built. Containers of
 * other users (another uid) are left to them unless `allUsers`: on a shared engine one user's
 * cleanup must not reach into another's work, and even with it only orphans go.
 */
export async function cleanDt(engine: Engine, options: { workspace?: string; dryRun?: boolean; allUsers?: boolean }): Promise<CleanResult> {
  const uid = process.getuid?.();
  const mine = (c: DtContainer) => options.allUsers || c.uid === null || uid === undefined || c.uid === uid;
  const containers = (await listDtContainers(engine, options.workspace)).filter((c) => mine(c) && isOrphan(c));
  const labels: string[] = [LABEL.runnableDir];
  if (options.workspace) labels.push(`${LABEL.workspace}=${options.workspace}`);
  const dangling = await engine.listImages({ dangling: true, labels });
  const images = dangling.map((i) => i.Id.replace(/^sha256:/, "").slice(0, 12));
  if (!options.dryRun) {
    await Promise.all(containers.map((c) => engine.removeContainer(c.id)));
    for (const id of images) await engine.removeImage(id).catch(() => undefined);
  }
  return { containers, images };
}

import type Docker from "dockerode";
import { isOrphan, listDtContainers, removeContainer, type DtContainer } from "./containers.ts";
import { engineCall } from "../engine/engine.ts";
import { LABEL } from "../workspace/image-ref.ts";

export interface CleanResult {
  containers: DtContainer[];
  images: string[];
}

/** Removes what dt left behind: orphaned containers and untagged images dt built. */
export async function cleanDt(docker: Docker, options: { workspace?: string; dryRun?: boolean }): Promise<CleanResult> {
  const containers = (await listDtContainers(docker, options.workspace)).filter(isOrphan);
  const label: string[] = [LABEL.runnableDir];
  if (options.workspace) label.push(`${LABEL.workspace}=${options.workspace}`);
  const dangling = await engineCall("listing dangling images", () => docker.listImages({ filters: { dangling: ["true"], label } }));
  const images = dangling.map((i) => i.Id.replace(/^sha256:/, "").slice(0, 12));
  if (!options.dryRun) {
    await Promise.all(containers.map((c) => removeContainer(docker, c.id)));
    for (const id of images) {
      await engineCall(`removing image ${id}`, () => docker.getImage(id).remove()).catch(() => undefined);
    }
  }
  return { containers, images };
}

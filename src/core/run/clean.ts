import { loadConfig } from "../config/config.ts";
import type { Engine, ImageSummary } from "../engine/engine.ts";
import { imageRef, LABEL, tagUser, workspaceKey } from "../workspace/image-ref.ts";
import { isOrphan, listDtContainers, type DtContainer } from "./containers.ts";

export interface CleanResult {
  containers: DtContainer[];
  images: string[];
  /** Local tags of the scheme before workspace keys (`local-USER-X.Y.Z`), moved to today's name. */
  retagged: { from: string; to: string }[];
}

/**
 * Removes what dt left behind: orphaned containers, untagged images dt built, old-scheme local tags. Containers of
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
  const retagged = await oldSchemeTags(engine, options.workspace);
  if (!options.dryRun) {
    await Promise.all(containers.map((c) => engine.removeContainer(c.id)));
    for (const id of images) await engine.removeImage(id).catch(() => undefined);
    for (const { from, to } of retagged) {
      const colon = to.lastIndexOf(":");
      const image = await engine.inspectImage(from);
      if (!image) continue;
      await engine.tagImage(image.Id, to.slice(0, colon), to.slice(colon + 1));
      // Untags only: the image keeps the tag just given.
      await engine.removeImage(from).catch(() => undefined);
    }
  }
  return { containers, images, retagged };
}

/**
 * Local images dt built before local tags carried the workspace key: found by their labels
 * (which say the workspace, dir and version), each old tag with the name it gets now.
 */
async function oldSchemeTags(engine: Engine, workspace: string | undefined): Promise<CleanResult["retagged"]> {
  const labels = [`${LABEL.stage}=local`, workspace ? `${LABEL.workspace}=${workspace}` : LABEL.workspace];
  const out: CleanResult["retagged"] = [];
  for (const image of await engine.listImages({ labels })) {
    const found = newNameOf(image);
    if (!found) continue;
    for (const tag of image.RepoTags ?? []) {
      const name = tag.slice(tag.lastIndexOf(":") + 1);
      if (name.startsWith("local-") && !found.isCurrent(name)) out.push({ from: tag, to: found.versioned });
    }
  }
  return out;
}

function newNameOf(image: ImageSummary): { versioned: string; isCurrent: (tag: string) => boolean } | undefined {
  const l = image.Labels ?? {};
  const [root, dir, version] = [l[LABEL.workspace], l[LABEL.runnableDir], l[LABEL.version]];
  if (!root || dir === undefined || !version) return undefined;
  const key = workspaceKey(root);
  let config;
  try {
    config = loadConfig(root, dir).config;
  } catch {
    return undefined;
  }
  const ref = imageRef({ registry: config.registry, image: config.image, stage: "local", version, user: tagUser(), key });
  // Any user's tag with this workspace's key is of today's scheme (`local-USER-KEY[-X.Y.Z]`).
  const current = new RegExp(`^local-.+-${key}(-.+)?$`);
  return { versioned: `${ref.repository}:${ref.versionedTag}`, isCurrent: (tag) => current.test(tag) };
}

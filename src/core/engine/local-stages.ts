import type { Engine, ImageInfo } from "./engine.ts";
import { mapLimit } from "../base/pool.ts";
import { readCache, writeCache } from "../base/stamp-cache.ts";
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
export function localKeyOf(image: { Labels?: Record<string, string> | null; RepoTags?: string[] | null }, user: string): string | undefined {
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

/** Up to this many dirs, `dt ls` asks for each one's images by name; past it, one listing is cheaper. */
export const FEW_DIRS = 20;

/**
 * The same answers as engineImages for a few dirs, without listing every image on the engine:
 * a listing reads the config of each image the engine has (hundreds on a machine that builds a
 * lot: 100-250 ms here), an inspect reads one (~1 ms). Each dir's exact local name, dev and
 * prod tags are asked for by name; a local image found by name counts when its labels say this
 * workspace built it for this dir at this version. Only when some dir's local image is not
 * under its exact name (never built, or built under an earlier `registry:`, image name or
 * login) does one listing of this workspace's local images look for it by its labels, as the
 * SPEC's identity rule has it. Never throws (see engineImages).
 */
export async function engineImagesOf(
  engine: Engine,
  root: string,
  dirs: readonly ImageOfDir[],
  options: { timeoutMs?: number; asked?: ReadonlyMap<string, Promise<ImageInfo | undefined>> } = {},
): Promise<EngineImages> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const names = namesOf(root, dirs);
  try {
    const found = await mapLimit(names, 16, (n) => options.asked?.get(n.name) ?? engine.inspectImage(n.name, { timeoutMs }));
    const tags = new Set<string>();
    const local = new Set<string>();
    const user = tagUser();
    let unresolved = false;
    names.forEach((n, i) => {
      const info = found[i];
      if (info) tags.add(n.name);
      if (n.stage !== "local") return;
      const k = info && localKeyOf({ Labels: info.Config?.Labels, RepoTags: info.RepoTags }, user);
      if (k === localKey(root, n.dir.path, n.dir.version!)) local.add(k);
      else unresolved = true;
    });
    if (unresolved) for (const k of await localKeysListed(engine, root, user, timeoutMs)) local.add(k);
    return { tags, local, engineProblem: null };
  } catch (cause) {
    return { tags: null, local: null, engineProblem: cause instanceof Error ? cause.message : String(cause) };
  }
}

/**
 * The keys of this workspace's local images from a listing by their labels: what finds one built
 * under another name (another `registry:` then), and says a dir never built is not. A listing
 * costs the engine about 1 ms per image it holds (0.3 s for ~300 here, on every `dt ls` while a
 * dir is unbuilt), so the answer is kept with the engine's image count, which moves whenever an
 * image is made or removed, and with the engine's clock: it is reused while the count is the
 * same and the engine reports no image event since (an image made and another removed leave the
 * count as it was). The engine keeps its last 256 events; only a change that many events ago,
 * with the count back where it was, would go unseen.
 */
async function localKeysListed(engine: Engine, root: string, user: string, timeoutMs: number): Promise<string[]> {
  const id = `${engine.host}\0${root}`;
  const state = await engine.imageState({ timeoutMs });
  const key = `${state.images}\0${user}`;
  const known = readCache<{ keys: string[]; at: number }>("local-images", id, key);
  if (known && Array.isArray(known.keys) && typeof known.at === "number" && (await noImageEvents(engine, known.at, state.time, timeoutMs))) return known.keys;
  const labels = [`${LABEL.workspace}=${root}`, `${LABEL.stage}=local`];
  const keys = (await engine.listImages({ labels, timeoutMs })).map((image) => localKeyOf(image, user)).filter((k): k is string => k !== undefined);
  writeCache("local-images", id, key, { keys, at: state.time });
  return keys;
}

/** No image was made, tagged, untagged or removed between `since` and `until` (engine clock; a second of margin). */
async function noImageEvents(engine: Engine, since: number, until: number, timeoutMs: number): Promise<boolean> {
  try {
    return (await engine.events({ since: since - 1, until, type: "image", timeoutMs })).length === 0;
  } catch {
    return false;
  }
}

/** Each dir's versioned local, dev and prod names: what engineImagesOf asks for. */
function namesOf(root: string, dirs: readonly ImageOfDir[]) {
  const key = workspaceKey(root);
  return dirs
    .filter((d) => d.version !== null)
    .flatMap((d) => STAGES.map((stage) => ({ dir: d, stage, name: versioned(imageRef({ registry: d.registry, image: d.image, stage, version: d.version!, key })) })));
}

/**
 * Asks now for the images of dirs known ahead (`dt ls`: those of its last run whose files are
 * unchanged), so that the engine answers while git walks; engineImagesOf takes the answers.
 */
export function askEarly(engine: Engine, root: string, dirs: readonly ImageOfDir[], options: { timeoutMs?: number } = {}): Map<string, Promise<ImageInfo | undefined>> {
  const asked = new Map<string, Promise<ImageInfo | undefined>>();
  for (const n of namesOf(root, dirs)) {
    const answer = engine.inspectImage(n.name, { timeoutMs: options.timeoutMs ?? 2000 });
    answer.catch(() => {}); // a failure is engineImagesOf's to report, when it awaits this
    asked.set(n.name, answer);
  }
  return asked;
}

import { usageError } from "../base/errors.ts";
import { loadConfig } from "../config/config.ts";
import { imageRef } from "./image-ref.ts";
import type { RunnableDir } from "./workspace.ts";

/**
 * Each runnable dir's image repository (`REGISTRY/IMAGE`), and an input error (exit 2) naming
 * both dirs when two share one: their tags would overwrite each other. A dir whose config does
 * not load is left to the command that uses it, which reports that error where it belongs.
 */
export function assertUniqueImages(root: string, dirs: readonly Pick<RunnableDir, "path">[]): void {
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    let repository: string;
    try {
      const { config } = loadConfig(root, dir.path);
      repository = imageRef({ registry: config.registry, image: config.image, stage: "dev", version: "0.0.0" }).repository;
    } catch {
      continue;
    }
    const other = seen.get(repository);
    if (other !== undefined) {
      const file = (d: string) => (d === "." ? "dt.yaml" : `${d}/dt.yaml`);
      throw usageError(`runnable dirs ${other} and ${dir.path} both have the image ${repository}: their builds would overwrite each other's tags`, {
        hint: `set a distinct image: in ${file(other)} or ${file(dir.path)}`,
      });
    }
    seen.set(repository, dir.path);
  }
}

/** `assertUniqueImages` over the whole workspace of a target: one scan, for commands that write tags. */
export async function assertUniqueImagesAround(root: string): Promise<void> {
  const { findRunnableDirs, findSubRepos } = await import("./workspace.ts");
  assertUniqueImages(root, await findRunnableDirs(root, findSubRepos(root)));
}

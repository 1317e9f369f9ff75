// Engine-side checks for tests, through the API (dockerode), independent of dt's own code.
import Docker from "dockerode";

export const docker = new Docker();

/** Containers carrying dt's workspace label for `root`, in any state. */
export async function dtContainersOf(root: string) {
  return docker.listContainers({ all: true, filters: { label: [`dev.dt.workspace=${root}`] } });
}

export async function imageLabels(name: string): Promise<Record<string, string> | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Config.Labels ?? {};
  } catch {
    return undefined;
  }
}

export async function imageId(name: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** Removes every image whose repository is one of `repos` (test cleanup). */
export async function removeImages(repos: string[]): Promise<void> {
  const images = await docker.listImages();
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((t) => repos.some((r) => t.startsWith(`${r}:`)));
    for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
}

import type Docker from "dockerode";
import { engineCall } from "./engine.ts";
import { LABEL, type Stage } from "../workspace/image-ref.ts";

export interface DtImage {
  id: string;
  tags: string[];
  stage: string;
  version: string;
  digest: string | null;
  arch: string;
  created: string;
  size: number;
  contextDigest: string;
}

/** Images dt built for a runnable dir of a workspace, newest first. */
export async function listDtImages(docker: Docker, options: { workspace?: string; runnableDir?: string; stage?: Stage; repository?: string }) {
  const label: string[] = [LABEL.runnableDir];
  if (options.runnableDir !== undefined) label[0] = `${LABEL.runnableDir}=${options.runnableDir}`;
  if (options.workspace) label.push(`${LABEL.workspace}=${options.workspace}`);
  if (options.stage) label.push(`${LABEL.stage}=${options.stage}`);
  const list = await engineCall("listing images", () => docker.listImages({ filters: { label } }));
  const images = await Promise.all(
    list.map(async (summary) => {
      const info = await engineCall(`inspecting image ${summary.Id}`, () => docker.getImage(summary.Id).inspect());
      const labels = info.Config?.Labels ?? {};
      return {
        id: summary.Id.replace(/^sha256:/, "").slice(0, 12),
        tags: (summary.RepoTags ?? []).filter((t) => t !== "<none>:<none>"),
        stage: labels[LABEL.stage] ?? "?",
        version: labels[LABEL.version] ?? "?",
        digest: info.RepoDigests?.[0]?.split("@")[1] ?? null,
        arch: `${info.Os}/${info.Architecture}`,
        created: info.Created,
        size: info.Size,
        contextDigest: labels[LABEL.contextDigest] ?? "",
      } satisfies DtImage;
    }),
  );
  const filtered = options.repository ? images.filter((i) => i.tags.length === 0 || i.tags.some((t) => t.startsWith(`${options.repository}:`))) : images;
  return filtered.sort((a, b) => b.created.localeCompare(a.created));
}

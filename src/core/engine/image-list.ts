import type { Engine } from "./engine.ts";
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
export async function listDtImages(engine: Engine, options: { workspace?: string; runnableDir?: string; stage?: Stage; repository?: string }) {
  const label: string[] = [LABEL.runnableDir];
  if (options.runnableDir !== undefined) label[0] = `${LABEL.runnableDir}=${options.runnableDir}`;
  if (options.workspace) label.push(`${LABEL.workspace}=${options.workspace}`);
  if (options.stage) label.push(`${LABEL.stage}=${options.stage}`);
  const list = await engine.listImages({ labels: label });
  const images = await Promise.all(
    list.map(async (summary) => {
      const info = await engine.inspectImage(summary.Id);
      if (!info) return undefined;
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
  const found = images.filter((i) => i !== undefined);
  const filtered = options.repository ? found.filter((i) => i.tags.length === 0 || i.tags.some((t) => t.startsWith(`${options.repository}:`))) : found;
  return filtered.sort((a, b) => b.created.localeCompare(a.created));
}

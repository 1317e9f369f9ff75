import { realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { gitRaw } from "../git/git.ts";

/** A tracked symlink of the workspace and what it resolves to, both relative to the root. */
export interface WorkspaceLink {
  path: string;
  target: string;
}

/**
 * Every tracked symlink of the workspace (sub-repos included) that resolves inside it: one
 * `git ls-files -s` (links have mode 120000) and a realpath each. Links that dangle or leave the
 * workspace select nothing (a build refuses them anyway). Untracked links are not looked at.
 */
export async function workspaceLinks(root: string): Promise<WorkspaceLink[]> {
  const r = await gitRaw(["ls-files", "-s", "-z", "--recurse-submodules"], root);
  if (r.code !== 0) return [];
  const links: WorkspaceLink[] = [];
  for (const record of r.stdout.split("\0")) {
    if (!record.startsWith("120000 ")) continue;
    const path = record.slice(record.indexOf("\t") + 1);
    let real: string;
    try {
      real = realpathSync(join(root, path));
    } catch {
      continue;
    }
    const target = relative(root, real);
    if (target === "" || target === ".." || target.startsWith("../") || target.startsWith("/")) continue;
    links.push({ path, target });
  }
  return links;
}

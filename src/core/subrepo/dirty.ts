import { gitRaw } from "../git/git.ts";
import type { SubRepo } from "../workspace/workspace.ts";
import { absOf } from "./paths.ts";

/**
 * Marks each initialised sub-repo dirty (tracked changes or untracked files, its own sub-repos
 * not counted) or clean: one `git status` each, in parallel. What `ls` shows as dirty is what
 * pull and roll-forward refuse.
 */
export async function markDirty(root: string, subs: SubRepo[]): Promise<void> {
  await Promise.all(
    subs
      .filter((s) => s.initialised)
      .map(async (s) => {
        const r = await gitRaw(["status", "--porcelain", "-z", "--ignore-submodules=all", "--untracked-files=normal"], absOf(root, s.path));
        s.dirty = r.code === 0 ? r.stdout.length > 0 : null;
      }),
  );
}

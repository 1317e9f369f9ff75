import { join, resolve } from "node:path";
import { isDir, readText } from "../base/fs-util.ts";
import { readHead, type SubRepo } from "../workspace/workspace.ts";
import { absOf } from "./paths.ts";

export interface Tracking {
  /** The branch compared with: .gitmodules `branch`, else origin's HEAD, else main. */
  tracking: string | null;
  trackingFrom: "gitmodules" | "origin/HEAD" | "default" | null;
}

function gitDirOf(dir: string): string | undefined {
  const dotGit = join(dir, ".git");
  if (isDir(dotGit)) return dotGit;
  const pointer = readText(dotGit)?.trim();
  return pointer?.startsWith("gitdir:") ? resolve(dir, pointer.slice(7).trim()) : undefined;
}

/** The branch .gitmodules asks for; "." means the super-repo's current branch, as in git. */
export function declaredBranch(root: string, sub: SubRepo): string | null {
  return sub.trackedBranch === "." ? (readHead(absOf(root, sub.parent))?.branch ?? null) : sub.trackedBranch;
}

export function trackingBranch(root: string, sub: SubRepo): Tracking {
  const declared = declaredBranch(root, sub);
  if (declared) return { tracking: declared, trackingFrom: "gitmodules" };
  const gitDir = gitDirOf(absOf(root, sub.path));
  const originHead = gitDir && readText(join(gitDir, "refs/remotes/origin/HEAD"))?.trim();
  const match = originHead ? /^ref: refs\/remotes\/origin\/(.+)$/.exec(originHead) : null;
  if (match) return { tracking: match[1]!, trackingFrom: "origin/HEAD" };
  return { tracking: "main", trackingFrom: "default" };
}

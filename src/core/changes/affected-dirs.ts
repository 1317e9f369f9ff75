import { posix } from "node:path";
import { loadConfig } from "../config/config.ts";
import type { RunnableDir, Workspace } from "../workspace/workspace.ts";
import type { Collected } from "./follow-sub-repos.ts";
import type { WorkspaceLink } from "./links.ts";
import { byPath, trimSlash } from "./paths.ts";

/** How many example files a reason names before "and N more". */
const EXAMPLES = 3;

export interface ChangedDir {
  /** Runnable dir, relative to the workspace root ("." for the root). */
  path: string;
  /** Why it was selected, one line each, for people. */
  reasons: string[];
  /** A file under the dir's own `devops/` changed: its image no longer matches its sources. */
  staleImage: boolean;
}

/**
 * A changed path selects the innermost runnable dir that contains it, the innermost dir that
 * holds a link to it (or to a dir around it), and every dir whose `test.depends_on` names it or
 * a path around it. A sub-repo changed as a whole also selects every runnable dir inside it.
 */
export function affectedDirs(ws: Workspace, files: readonly string[], collected: Collected, links: readonly WorkspaceLink[] = []): ChangedDir[] {
  if (files.length === 0) return [];
  const own = new Map<string, string[]>();
  for (const f of files) {
    const dir = innermost(f, ws.runnableDirs);
    // A whole sub-repo that is itself a runnable dir is reported by the "whole" reason alone.
    if (!dir || (collected.wholes.has(f) && dir.path === f)) continue;
    own.set(dir.path, [...(own.get(dir.path) ?? []), f]);
  }

  const selected: ChangedDir[] = [];
  for (const dir of [...ws.runnableDirs].sort((a, b) => byPath(a.path, b.path))) {
    const reasons: string[] = [];
    const contributing: string[] = [];
    let staleImage = false;
    const devops = dir.path === "." ? "devops" : `${dir.path}/devops`;

    const mine = own.get(dir.path) ?? [];
    if (mine.length > 0) {
      reasons.push(`changed: ${examples(mine)}`);
      contributing.push(...mine);
      if (mine.some((f) => within(devops, f))) staleImage = true;
    }
    for (const link of links) {
      if (innermost(link.path, ws.runnableDirs)?.path !== dir.path) continue;
      const hits = files.filter((f) => within(link.target, f));
      if (hits.length === 0) continue;
      const shown = dir.path === "." ? link.path : link.path.slice(dir.path.length + 1);
      const what = hits.length === 1 && hits[0] === link.target ? "changed" : `(changed: ${examples(hits)})`;
      reasons.push(`${shown} -> ${link.target} ${what}`);
      contributing.push(...hits);
      if (within(devops, link.path)) staleImage = true;
    }
    for (const [subPath, reason] of collected.wholes) {
      if (within(subPath, dir.path)) {
        reasons.push(reason);
        // Everything in it changed, its devops/ included.
        staleImage = true;
      }
    }
    for (const dep of dependsOn(ws.root, dir)) {
      const hits = files.filter((f) => within(dep, f) || within(f, dep));
      if (hits.length === 0) continue;
      reasons.push(`depends on ${dep} (changed: ${examples(hits)})`);
      contributing.push(...hits);
    }
    if (reasons.length === 0) continue;
    for (const [subPath, reason] of collected.moves) {
      if (contributing.some((f) => within(subPath, f))) reasons.push(reason);
    }
    // The dir that holds a wholly changed sub-repo (or depends on it) is told why, too.
    for (const [subPath, reason] of collected.wholes) {
      if (contributing.includes(subPath) && !reasons.includes(reason)) reasons.push(reason);
    }
    if (staleImage) {
      const where = dir.path === "." ? "devops/" : `${dir.path}/devops/`;
      reasons.push(`${where} changed: the image is stale, rebuild it with 'dt docker build'`);
    }
    selected.push({ path: dir.path, reasons, staleImage });
  }
  return selected;
}

/** The dir's `test.depends_on` (root dt.yaml, overridden by its own), normalised; "." is all. */
function dependsOn(root: string, dir: RunnableDir): string[] {
  const raw = loadConfig(root, dir.path).config.test.depends_on ?? [];
  const out = new Set<string>();
  for (const entry of raw) {
    const p = trimSlash(posix.normalize(entry.replaceAll("\\", "/")));
    // Outside the workspace: nothing of ours can match it.
    if (p === ".." || p.startsWith("../") || p.startsWith("/")) continue;
    out.add(p);
  }
  return [...out];
}

function innermost(path: string, dirs: readonly RunnableDir[]): RunnableDir | undefined {
  let best: RunnableDir | undefined;
  for (const d of dirs) {
    if (within(d.path, path) && (!best || best.path === "." || d.path.length > best.path.length)) best = d;
  }
  return best;
}

/** Is `path` the dir `dir` or below it (both relative to the workspace root)? */
function within(dir: string, path: string): boolean {
  return dir === "." || path === dir || path.startsWith(`${dir}/`);
}

function examples(files: readonly string[]): string {
  const shown = files.slice(0, EXAMPLES).join(", ");
  return files.length > EXAMPLES ? `${shown} and ${files.length - EXAMPLES} more` : shown;
}

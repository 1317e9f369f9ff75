import { join } from "node:path";
import { usageError } from "../base/errors.ts";
import type { Suite } from "../config/schema.ts";
import { resolveTargetDir, type Workspace } from "../workspace/workspace.ts";

/** The runnable dirs a `dt test` run acts on, with why each was chosen. */
export interface Selection {
  ws: Workspace;
  dirs: { path: string; absPath: string; reasons: string[]; staleImage: boolean }[];
  base: string | null;
}

export interface SelectOptions {
  /** Where the command runs: --dir paths are relative to it, and without any the target is around it. */
  cwd: string;
  all?: boolean;
  dirs?: readonly string[];
  changed?: boolean;
  base?: string;
}

/** The dirs of `ws` that a `dt test` (or a release's tests) acts on. */
export async function selectDirs(ws: Workspace, options: SelectOptions): Promise<Selection> {
  const byPath = new Map(ws.runnableDirs.map((d) => [d.path, d]));
  if (options.changed) {
    const { changedRunnableDirs } = await import("../changes/changed-dirs.ts");
    const changes = await changedRunnableDirs(ws, { base: options.base });
    const wanted = options.all || !options.dirs?.length ? undefined : new Set(await resolveAll(ws.root, options.cwd, options.dirs));
    return {
      ws,
      base: changes.baseRef,
      dirs: changes.dirs
        .filter((d) => !wanted || wanted.has(d.path))
        .map((d) => ({ path: d.path, absPath: byPath.get(d.path)?.absPath ?? join(ws.root, d.path), reasons: d.reasons, staleImage: d.staleImage })),
    };
  }
  if (options.all) {
    if (ws.runnableDirs.length === 0) throw usageError("this workspace has no runnable dir", { hint: "make one with 'dt init'" });
    return { ws, base: null, dirs: ws.runnableDirs.map((d) => ({ path: d.path, absPath: d.absPath, reasons: ["--all"], staleImage: false })) };
  }
  const paths = options.dirs?.length ? await resolveAll(ws.root, options.cwd, options.dirs) : [(await resolveTargetDir(options.cwd, undefined, ws.root)).path];
  return {
    ws,
    base: null,
    dirs: [...new Set(paths)].map((p) => ({ path: p, absPath: p === "." ? ws.root : join(ws.root, p), reasons: [options.dirs?.length ? "--dir" : "target dir"], staleImage: false })),
  };
}

async function resolveAll(root: string, cwd: string, dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) out.push((await resolveTargetDir(cwd, d, root)).path);
  return out;
}

/**
 * What a dir's pytest run must not collect: runnable dirs nested in it (they run in their own
 * image) and sub-repos inside it (unless the dir is that sub-repo).
 */
export function exclusionsFor(ws: Workspace, dirPath: string): string[] {
  const inside = (p: string) => p !== dirPath && (dirPath === "." || p.startsWith(`${dirPath}/`));
  const paths = [
    ...ws.runnableDirs.map((d) => d.path).filter(inside),
    ...ws.subRepos.map((s) => s.path).filter(inside),
  ];
  // A nested path inside an excluded one adds nothing.
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(`${q}/`))).map((p) => join(ws.root, p));
}

/** The marker expression of a suite combined with the user's `-m`. */
export function markerFor(suiteName: string, suites: Record<string, Suite>, extra?: string): { marker: string | null; timeout: number } {
  let marker: string | null = null;
  let timeout = 0;
  if (suiteName !== "all") {
    const suite = suites[suiteName];
    if (!suite) {
      throw usageError(`unknown suite '${suiteName}'`, { hint: `use one of ${[...Object.keys(suites), "all"].join(", ")} (test.suites in dt.yaml)` });
    }
    marker = suite.marker || null;
    timeout = suite.timeout;
  }
  if (extra) marker = marker ? `(${marker}) and (${extra})` : extra;
  return { marker, timeout };
}

/** A file name for a runnable dir's report: `apps/pricer` -> `apps__pricer`. */
export const reportSlug = (dirPath: string) => (dirPath === "." ? "_root" : dirPath.replace(/\//g, "__"));

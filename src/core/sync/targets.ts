import { dirname, join, relative } from "node:path";
import type { SyncFileSpec } from "../config/schema.ts";
import { type DtError, usageError } from "../base/errors.ts";
import { owningRepo } from "../workspace/workspace.ts";
import { expandDirGlob, globProblem, hasGlob } from "./dir-glob.ts";
import { checkEntry, destinationOf, normalisePath, sourceOf, type PathContext } from "./entries.ts";

export type SyncMode = "copy" | "link";

/** One path dt sync writes here, from one entry of sync.files. */
export interface SyncTarget {
  /** The entry's index in sync.files. */
  index: number;
  mode: SyncMode;
  /** The destination, relative to the workspace root. */
  path: string;
  /** The file's path in the source sub-repo. */
  sourcePath: string;
  /** Absolute: where the copy is written (symlinks followed), or the link itself. */
  target: string;
  /** Absolute real path of the file in the source sub-repo. */
  source: string;
  /** mode link: the link's text, the path from its directory to the file in the sub-repo. */
  linkText: string | null;
}

export interface TargetPlan {
  targets: SyncTarget[];
  problems: DtError[];
  /** Globs that matched no directory: not an error, the dirs may come later. */
  warnings: string[];
}

const PATH_HINT = "write paths relative to the workspace root, inside it and outside the sub-repos; edit sync.files in dt.yaml";

/** Every destination of sync.files, globs expanded, each checked; problems collected, not thrown. */
export function planTargets(files: readonly (string | SyncFileSpec)[], ctx: PathContext): TargetPlan {
  const plan: TargetPlan = { targets: [], problems: [], warnings: [] };
  const byPath = new Map<string, SyncTarget>();
  const add = (t: SyncTarget) => {
    const earlier = byPath.get(t.path);
    if (!earlier) {
      byPath.set(t.path, t);
      plan.targets.push(t);
    } else if (earlier.sourcePath !== t.sourcePath || earlier.mode !== t.mode) {
      plan.problems.push(
        usageError(`sync.files[${t.index}] and sync.files[${earlier.index}] both write ${t.path}`, {
          where: ctx.where(t.index),
          hint: "give each destination one source and one mode",
        }),
      );
    }
  };
  files.forEach((entry, i) => {
    if (typeof entry === "string") {
      const checked = checkEntry(entry, i, ctx);
      if ("exitCode" in checked) plan.problems.push(checked);
      else add({ index: i, mode: "copy", path: checked.path, sourcePath: checked.path, target: checked.target, source: checked.source, linkText: null });
      return;
    }
    planMapping(entry, i, ctx, plan, add);
  });
  return plan;
}

function planMapping(entry: SyncFileSpec, i: number, ctx: PathContext, plan: TargetPlan, add: (t: SyncTarget) => void) {
  const mode: SyncMode = entry.mode ?? "copy";
  const refuse = (what: string, why: string, ...below: (string | number)[]) =>
    plan.problems.push(usageError(`sync.files[${i}]${what} ${why}`, { where: ctx.where(i, ...below), hint: PATH_HINT }));
  if (entry.from === undefined) {
    refuse("", "has no 'from': name the file of the source sub-repo to take");
    return;
  }
  const from = normalisePath(entry.from);
  if ("why" in from) return refuse(`.from ${JSON.stringify(entry.from)}`, from.why, "from");
  const src = sourceOf(from.path, ctx);
  if ("why" in src) return refuse(`.from ${JSON.stringify(entry.from)}`, src.why, "from");
  const tos = entry.to === undefined ? [from.path] : typeof entry.to === "string" ? [entry.to] : entry.to;
  if (tos.length === 0) return refuse(".to", "lists no destination", "to");
  tos.forEach((raw, j) => {
    const label = `.to${typeof entry.to === "object" ? `[${j}]` : ""} ${JSON.stringify(raw)}`;
    const normal = normalisePath(raw);
    if ("why" in normal) return refuse(label, normal.why, "to", j);
    let paths = [normal.path];
    if (hasGlob(normal.path)) {
      const bad = globProblem(normal.path);
      if (bad) return refuse(label, bad, "to", j);
      const segments = normal.path.split("/");
      const name = segments.pop()!;
      // A pattern names this repo's own dirs: it does not enter sub-repos (the source among them).
      const dirs = expandDirGlob(ctx.root, segments, (rel) => owningRepo(rel, ctx.subRepos) !== ".");
      if (dirs.length === 0) {
        plan.warnings.push(`${ctx.where(i, "to", j) ?? "dt.yaml"}: sync.files[${i}]${label} matches no directory; nothing written for it`);
        return;
      }
      paths = dirs.map((d) => (d ? `${d}/${name}` : name));
    }
    for (const path of paths) {
      const dest = destinationOf(path, mode, ctx);
      if ("why" in dest) {
        refuse(label, path === normal.path ? dest.why : `matches ${path}, which ${dest.why}`, "to", j);
        continue;
      }
      const linkText = mode === "link" ? relative(dirname(dest.target), join(ctx.root, ctx.from, from.path)) : null;
      add({ index: i, mode, path, sourcePath: from.path, target: dest.target, source: src.source, linkText });
    }
  });
}

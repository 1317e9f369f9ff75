import { matchDirs } from "../base/dir-glob.ts";

/**
 * Destination globs of `sync.files`: only directory segments may be patterns. `*` in a segment
 * matches any run of characters within one directory name, `**` as a whole segment matches zero
 * or more directories. A pattern matches directories that exist, never creates one, never goes
 * through a symlinked directory (a link could lead anywhere, or loop) and skips names starting
 * with "." unless the segment itself starts with "." (so `*` never picks .git or .dt).
 */
export const hasGlob = (path: string) => path.includes("*");

/** Why `path` is not a usable destination glob, or null. */
export function globProblem(path: string): string | null {
  const segments = path.split("/");
  if (hasGlob(segments[segments.length - 1]!)) return "has a pattern in its file name: only directories may be globs";
  if (segments.some((s) => s.includes("**") && s !== "**")) return "uses '**' inside a name: '**' must be a whole path segment";
  return null;
}

/**
 * The existing directories (relative to `root`, sorted) that the directory segments `dirs` match,
 * never through a symlinked directory (a link could lead anywhere, or loop). `skip` names
 * directories a pattern must not enter: sub-repos are not this repo's own.
 */
export function expandDirGlob(root: string, dirs: readonly string[], skip: (rel: string) => boolean): string[] {
  return matchDirs(root, dirs, { followLinks: false, skip });
}

import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

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

const segmentRegex = (segment: string) =>
  new RegExp(`^${segment.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);

/**
 * The existing directories (relative to `root`, sorted) that the directory segments `dirs` match.
 * `skip` names directories a pattern must not enter: sub-repos are not this repo's own.
 */
export function expandDirGlob(root: string, dirs: readonly string[], skip: (rel: string) => boolean): string[] {
  let current = [""];
  for (const segment of dirs) {
    const next = new Set<string>();
    for (const rel of current) {
      if (segment === "**") for (const d of descendants(root, rel, skip)) next.add(d);
      else if (!hasGlob(segment)) {
        const child = rel ? `${rel}/${segment}` : segment;
        if (isRealDir(join(root, child))) next.add(child);
      } else {
        const match = segmentRegex(segment);
        for (const name of subdirs(root, rel)) {
          const child = rel ? `${rel}/${name}` : name;
          if (match.test(name) && (segment.startsWith(".") || !name.startsWith(".")) && !skip(child)) next.add(child);
        }
      }
    }
    current = [...next];
  }
  return current.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isRealDir(abs: string): boolean {
  try {
    return lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function subdirs(root: string, rel: string): string[] {
  try {
    return readdirSync(join(root, rel), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** `rel` and every directory below it that `**` may reach. */
function descendants(root: string, rel: string, skip: (rel: string) => boolean): string[] {
  const out = [rel];
  for (const name of subdirs(root, rel)) {
    const child = rel ? `${rel}/${name}` : name;
    if (!name.startsWith(".") && !skip(child)) out.push(...descendants(root, child, skip));
  }
  return out;
}

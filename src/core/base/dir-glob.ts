import { readdirSync, statSync } from "node:fs";
import { noteLook, noteRead } from "./answers.ts";
import { join } from "node:path";

/** Whether a path pattern has glob characters (`*`, `?`, `**`). */
export const isGlob = (pattern: string) => /[*?]/.test(pattern);

export interface MatchOptions {
  /** Walk into symlinked directories (setenv's tool dirs may be links); sync never does. */
  followLinks: boolean;
  /** Directories (relative to the root) a pattern must not enter or match. */
  skip?: (rel: string) => boolean;
}

/**
 * The existing directories below `root` (relative paths, sorted) that the path `segments`
 * match: `*` and `?` match within one name, a `**` segment matches zero or more directories.
 * Names starting with "." match only a segment that itself starts with "." (so `*` and `**`
 * never pick `.git` or `.venv`). It never creates a directory.
 */
export function matchDirs(root: string, segments: readonly string[], options: MatchOptions): string[] {
  const skip = options.skip ?? (() => false);
  const children = (rel: string) => subdirs(join(root, rel), options.followLinks).map((name) => ({ name, rel: rel ? `${rel}/${name}` : name }));
  const found = new Set<string>();
  const visit = (rel: string, i: number) => {
    if (i === segments.length) {
      found.add(rel);
      return;
    }
    const segment = segments[i]!;
    if (segment === "**") {
      visit(rel, i + 1);
      for (const child of children(rel)) if (!child.name.startsWith(".") && !skip(child.rel)) visit(child.rel, i);
      return;
    }
    const re = isGlob(segment) ? segmentRegExp(segment) : undefined;
    for (const child of children(rel)) {
      if (re ? !re.test(child.name) || (child.name.startsWith(".") && !segment.startsWith(".")) : child.name !== segment) continue;
      if (!skip(child.rel)) visit(child.rel, i + 1);
    }
  };
  visit("", 0);
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// Trees a `**` of setenv never descends into: they are never tool dirs, and some are huge.
const NOT_TOOL_DIRS = new Set(["node_modules", "__pycache__"]);

/** setenv's globs (`dev_scripts*\/**`): absolute dirs under `base`, through symlinked dirs. */
export function globDirs(base: string, pattern: string): string[] {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  const skip = (rel: string) => NOT_TOOL_DIRS.has(rel.slice(rel.lastIndexOf("/") + 1));
  return matchDirs(base, segments, { followLinks: true, skip }).map((rel) => (rel ? join(base, rel) : base));
}

function subdirs(dir: string, followLinks: boolean): string[] {
  // A directory's mtime moves when an entry is added, removed or renamed.
  noteRead(dir);
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || (followLinks && d.isSymbolicLink() && isDir(join(dir, d.name))))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  noteLook(path);
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function segmentRegExp(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

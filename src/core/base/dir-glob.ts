import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Whether a path pattern has glob characters (`*`, `?`, `**`). */
export const isGlob = (pattern: string) => /[*?]/.test(pattern);

// Trees a `**` never descends into: they are never tool dirs, and some are huge.
const SKIPPED = new Set(["node_modules", "__pycache__"]);

/**
 * The directories under `base` that `pattern` matches, sorted: `*` and `?` match within one
 * path segment, a `**` segment matches zero or more directories. Hidden dirs (`.git`, `.venv`)
 * match only a segment that itself starts with a dot. Only directories are returned.
 */
export function globDirs(base: string, pattern: string): string[] {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  const found = new Set<string>();
  const visit = (dir: string, i: number) => {
    if (i === segments.length) {
      found.add(dir);
      return;
    }
    const segment = segments[i]!;
    if (segment === "**") {
      visit(dir, i + 1);
      for (const child of subdirs(dir)) if (!child.startsWith(".") && !SKIPPED.has(child)) visit(join(dir, child), i);
      return;
    }
    if (!isGlob(segment)) {
      if (subdirs(dir).includes(segment)) visit(join(dir, segment), i + 1);
      return;
    }
    const re = segmentRegExp(segment);
    for (const child of subdirs(dir)) {
      if (child.startsWith(".") && !segment.startsWith(".")) continue;
      if (re.test(child)) visit(join(dir, child), i + 1);
    }
  };
  visit(base, 0);
  return [...found].sort();
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || (d.isSymbolicLink() && isDirThroughLink(join(dir, d.name))))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function isDirThroughLink(path: string): boolean {
  try {
    return readdirSync(path) !== undefined;
  } catch {
    return false;
  }
}

function segmentRegExp(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

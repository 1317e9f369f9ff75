import { basename, join } from "node:path";
import { bumpChangelog, parseChangelog, today, type BumpKind, type ChangelogEntry } from "./changelog.ts";
import { usageError } from "../base/errors.ts";
import { withFileLock } from "../base/file-lock.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { throughCache } from "../base/stamp-cache.ts";

/** A runnable dir as this module needs it (the workspace layer's TargetDir fits). */
export interface ChangelogDir {
  /** Relative to the workspace root ("." for the root). */
  path: string;
  absPath: string;
}

const changelogPath = (target: ChangelogDir) => ({
  abs: join(target.absPath, "changelog.txt"),
  rel: target.path === "." ? "changelog.txt" : `${target.path}/changelog.txt`,
});

export function readChangelog(target: ChangelogDir): ChangelogEntry[] {
  const file = changelogPath(target);
  const text = readText(file.abs);
  if (text === undefined) throw usageError(`cannot read ${file.rel}`, { hint: "create it with 'dt init'" });
  return parseChangelog(text, file.rel, basename(target.absPath));
}

/**
 * The newest entry of the target's changelog, from the cache while the file is unchanged
 * (base/stamp-cache.ts): `dt version` and the run paths then parse nothing. A malformed
 * changelog is never cached: its error comes every time.
 */
export function newestEntryCached(target: ChangelogDir): Promise<ChangelogEntry> {
  const file = changelogPath(target);
  return throughCache({ kind: "changelog", id: file.abs, inputs: [file.abs] }, () => readChangelog(target)[0]!);
}

/**
 * Prepends an entry to the target's changelog atomically and returns the new version. A
 * changelog that is a symlink within the workspace is written through (it stays a link); its
 * mode, line endings and BOM are kept.
 */
export function bumpVersion(target: ChangelogDir & { root: string }, kind: BumpKind, notes: readonly string[], date = today()): string {
  const file = changelogPath(target);
  // Read-modify-write under a lock: two bumps at once both land, one after the other.
  return withFileLock(file.abs, () => {
    const text = readText(file.abs);
    if (text === undefined) throw usageError(`cannot read ${file.rel}`, { hint: "create it with 'dt init'" });
    const bumped = bumpChangelog(text, kind, notes, date, file.rel, basename(target.absPath));
    writeFileAtomic(file.abs, bumped.text, undefined, { throughLinksWithin: target.root });
    return bumped.version;
  });
}

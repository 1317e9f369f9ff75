/** What a synced file is: its content hash and whether it is executable (the mode git keeps). */
export interface FileState {
  sha256: string;
  executable: boolean;
}

export type SyncStatus = "in-sync" | "added" | "updated" | "kept" | "conflict" | "deleted-upstream" | "deleted";

export interface Decision {
  status: SyncStatus;
  /** Write the source's content here. */
  write: boolean;
  /** Delete the file here (deleted upstream, with --force). */
  remove: boolean;
  /** --force changed the outcome (a customised or conflicting file was overwritten or deleted). */
  forced: boolean;
  /** Why, in a few words, when the status alone does not say it. */
  detail: string | null;
}

const result = (status: SyncStatus, detail: string | null = null, op: Partial<Decision> = {}): Decision => ({
  status,
  write: false,
  remove: false,
  forced: false,
  detail,
  ...op,
});

export const same = (a: FileState | null, b: FileState | null) =>
  a === null || b === null ? a === b : a.sha256 === b.sha256 && a.executable === b.executable;

/**
 * The three-way decision of one file. `lock` is the file as dt sync last wrote it (null: never),
 * `local` the file here, `source` the file in the source sub-repo (null: absent). A file changed
 * here since the last sync is customised; it is overwritten only with `force`.
 */
export function decide(lock: FileState | null, local: FileState | null, source: FileState | null, force: boolean): Decision {
  if (source === null) {
    if (local === null) return result("deleted-upstream", "gone here too");
    return force
      ? result("deleted", "deleted upstream", { remove: true, forced: !same(local, lock) })
      : result("deleted-upstream", "kept here; --force deletes it");
  }
  if (same(local, source)) return result("in-sync");
  const localChanged = !same(local, lock) || lock === null;
  const upstreamChanged = !same(source, lock);
  if (local === null && lock === null) return result("added", null, { write: true });
  if (!localChanged) return result("updated", null, { write: true });
  const here = local === null ? "deleted here" : lock === null ? "differs here and was never synced" : "changed here";
  if (force) return result(local === null ? "added" : "updated", `${here}; overwritten by --force`, { write: true, forced: true });
  if (!upstreamChanged) return result("kept", `customised: ${here}; --force overwrites`);
  return result("conflict", `${here} and upstream; --force takes upstream's`);
}

/** What is at a link's destination: nothing, a symlink (its text) or a regular file. */
export type LinkHere = null | { kind: "link"; text: string } | { kind: "file"; state: FileState };

/** What the lock says dt last wrote at a destination: a link (its text) and/or a copy. */
export interface Recorded {
  link: string | null;
  file: FileState | null;
}

/**
 * The decision for a destination that should be a symlink with text `want`. A link is dt's
 * when its text is the one the lock recorded (or a copy whose hash it recorded, for a switch
 * from copy to link): dt replaces its own, keeps anybody else's unless `force`. A missing link
 * is created again: links are generated, nobody customises one by deleting it.
 */
export function decideLink(recorded: Recorded, here: LinkHere, want: string, sourceExists: boolean, force: boolean): Decision {
  const dtWroteIt =
    here !== null &&
    (here.kind === "link" ? here.text === recorded.link : recorded.file !== null && same(here.state, recorded.file));
  const what = here === null ? "" : here.kind === "link" ? `a link to ${here.text}` : dtWroteIt ? "dt's copy" : "a file";
  if (!sourceExists) {
    if (here === null) return result("deleted-upstream", "gone here too");
    return force
      ? result("deleted", "deleted upstream", { remove: true, forced: !dtWroteIt })
      : result("deleted-upstream", "kept here; --force deletes it");
  }
  if (here?.kind === "link" && here.text === want) return result("in-sync");
  if (here === null) return result("added", recorded.link !== null ? "was removed here" : null, { write: true });
  if (dtWroteIt) return result("updated", `replaces ${what}`, { write: true });
  if (force) return result("updated", `replaces ${what} here, by --force`, { write: true, forced: true });
  return result("kept", `customised: ${what} here, not dt's link; --force replaces it`);
}

/** What a synced file is: its content hash and whether it is executable (the mode git keeps). */
export interface FileState {
  sha256: string;
  executable: boolean;
}

export type SyncStatus = "in-sync" | "added" | "updated" | "kept" | "conflict" | "deleted-upstream" | "deleted";

interface Decision {
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

export const same = (a: FileState | null, b: FileState | null) =>
  a === null || b === null ? a === b : a.sha256 === b.sha256 && a.executable === b.executable;

/**
 * The three-way decision of one file. `lock` is the file as dt sync last wrote it (null: never),
 * `local` the file here, `source` the file in the source sub-repo (null: absent). A file changed
 * here since the last sync is customised; it is overwritten only with `force`.
 */
export function decide(lock: FileState | null, local: FileState | null, source: FileState | null, force: boolean): Decision {
  const result = (status: SyncStatus, detail: string | null = null, op: Partial<Decision> = {}): Decision => ({
    status,
    write: false,
    remove: false,
    forced: false,
    detail,
    ...op,
  });
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


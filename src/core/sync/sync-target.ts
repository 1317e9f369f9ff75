import { lstatSync, rmSync } from "node:fs";
import { workError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/fs-util.ts";
import { decide, decideLink, same, type Decision, type FileState, type Recorded, type SyncStatus } from "./decide.ts";
import { fileDiff, readContent, type Content } from "./file-content.ts";
import { readHere, writeLinkAtomic } from "./link-file.ts";
import type { SyncLock } from "./lock.ts";
import type { SyncMode, SyncTarget } from "./targets.ts";

export interface SyncFileResult {
  /** The destination, relative to the workspace root. */
  path: string;
  mode: SyncMode;
  /** The file's path in the source sub-repo. */
  source: string;
  /** mode link: the link's text as dt writes it. */
  link: string | null;
  status: SyncStatus;
  forced: boolean;
  /** The file here was written or deleted by this run. */
  changed: boolean;
  /** What is here is not what the source says (what --check fails on). */
  differs: boolean;
  detail: string | null;
  /** Copies: local (old) vs upstream (new) when they differ, else null. */
  diff: string | null;
}

/** One destination looked at, nothing changed yet. */
export interface Inspected {
  target: SyncTarget;
  decision: Decision;
  recorded: Recorded;
  /** Nothing is at the destination now. */
  absent: boolean;
  differs: boolean;
  diff: string | null;
  /** What a write stores: the copy's state, or the link's text. */
  written: { file: FileState | null; link: string | null };
}

const own = <T>(record: Record<string, T> | undefined, key: string): T | null =>
  record !== undefined && Object.hasOwn(record, key) ? record[key]! : null;

const isSymlink = (abs: string) => {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
};

/** Reads what is at a destination and decides; throws a usage error for what no sync may replace. */
export function inspectTarget(t: SyncTarget, source: Content | null, lock: SyncLock | null, force: boolean, upstream: string): Inspected {
  const recorded: Recorded = { file: own(lock?.files, t.path), link: own(lock?.links, t.path) };
  if (t.mode === "link") {
    const want = t.linkText!;
    const here = readHere(t.target, t.path);
    const decision = decideLink(recorded, here, want, source !== null, force);
    const differs = source !== null ? !(here?.kind === "link" && here.text === want) : here !== null;
    return { target: t, decision, recorded, absent: here === null, differs, diff: null, written: { file: null, link: want } };
  }
  // A copy's target is a symlink only when it is dt's own link (entries.ts does not follow
  // those): switching an entry from link to copy replaces it.
  if (isSymlink(t.target)) {
    const here = readHere(t.target, t.path);
    const decision: Decision = source
      ? { status: "updated", write: true, remove: false, forced: false, detail: "replaces dt's link" }
      : decideLink(recorded, here, "", false, force);
    return { target: t, decision, recorded, absent: false, differs: true, diff: fileDiff(t.path, null, source, upstream), written: { file: source?.state ?? null, link: null } };
  }
  const local = readContent(t.target, t.path);
  const decision = decide(recorded.file, local?.state ?? null, source?.state ?? null, force);
  const differs = !same(local?.state ?? null, source?.state ?? null);
  return {
    target: t,
    decision,
    recorded,
    absent: local === null,
    differs,
    diff: differs ? fileDiff(t.path, local, source, upstream) : null,
    written: { file: source?.state ?? null, link: null },
  };
}

export interface Applied {
  result: SyncFileResult;
  /** The destination's entries in the next lock. */
  after: { file: FileState | null; link: string | null };
  failure?: unknown;
}

/** Carries out a decision (when `write`) and says what the lock remembers of the destination. */
export function applyTarget(x: Inspected, source: Content | null, write: boolean): Applied {
  const { target: t, decision: d } = x;
  let changed = false;
  let failure: unknown;
  if (write && (d.write || d.remove)) {
    try {
      if (d.remove) rmSync(t.target, { force: true });
      else if (t.mode === "link") writeLinkAtomic(t.target, t.linkText!);
      else if (source) writeFileAtomic(t.target, source.bytes, source.state.executable ? 0o755 : 0o644);
      changed = true;
    } catch (cause) {
      failure = workError(`could not ${d.remove ? "delete" : t.mode === "link" ? "link" : "write"} ${t.path}: ${(cause as Error).message}`, { cause });
    }
  }
  // The lock remembers each destination as written (or found equal to upstream's); one left as
  // it is keeps its old entries, so it stays customised or conflicting on the next run.
  let after: Applied["after"] = x.recorded;
  if (changed) after = d.remove ? { file: null, link: null } : x.written;
  else if (d.status === "in-sync") after = x.written;
  else if (d.status === "deleted-upstream" && x.absent) after = { file: null, link: null };
  const result: SyncFileResult = {
    path: t.path,
    mode: t.mode,
    source: t.sourcePath,
    link: t.linkText,
    status: d.status,
    forced: d.forced,
    changed,
    differs: x.differs,
    detail: d.detail,
    diff: x.diff,
  };
  return { result, after, ...(failure ? { failure } : {}) };
}

import { LineCounter, parseDocument, stringify } from "yaml";
import { usageError } from "../base/errors.ts";
import type { FileState } from "./decide.ts";

export const LOCK_PATH = ".dt/sync.lock";

export interface SyncLock {
  from: string;
  commit: string;
  /** The source had uncommitted changes to synced files when this lock was written. */
  dirty: boolean;
  files: Record<string, FileState>;
}

const LOCK_HEADER = `# Written by 'dt sync'; commit it, do not edit it.
# What dt sync last copied from the source sub-repo: its commit, and each file's hash and mode
# as written here. A file that no longer matches was changed here, and dt sync keeps it.
`;

/** The lock's text: a header, then keys and files in a fixed order, so equal locks are equal bytes. */
export function formatLock(lock: SyncLock): string {
  const files = Object.fromEntries(
    Object.keys(lock.files)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((path) => [path, { sha256: lock.files[path]!.sha256, executable: lock.files[path]!.executable }]),
  );
  const body = { version: 1, from: lock.from, commit: lock.commit, ...(lock.dirty ? { dirty: true } : {}), files };
  return LOCK_HEADER + stringify(body, { lineWidth: 0, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

export function parseLock(text: string, file = LOCK_PATH): SyncLock {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const bad = (what: string, offset = 0) =>
    usageError(`${what}`, {
      where: `${file}:${lineCounter.linePos(offset).line}`,
      hint: `restore it with 'git checkout -- ${file}', or delete it to start over (differing files then count as conflicts)`,
    });
  if (doc.errors.length > 0) throw bad(`invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, doc.errors[0]!.pos[0]);
  const data = doc.toJS() as Record<string, unknown> | null;
  if (!data || typeof data !== "object") throw bad("not a dt sync lock");
  if (data.version !== 1) throw bad(`unsupported lock version ${JSON.stringify(data.version)} (this dt reads version 1)`);
  const files: Record<string, FileState> = {};
  const raw = data.files ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw bad("files: expected a mapping");
  for (const [path, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = entry as Record<string, unknown> | null;
    if (!e || typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256) || typeof e.executable !== "boolean") {
      throw bad(`files.${path}: expected sha256 (64 hex digits) and executable (true or false)`);
    }
    files[path] = { sha256: e.sha256, executable: e.executable };
  }
  return {
    from: typeof data.from === "string" ? data.from : "",
    commit: typeof data.commit === "string" ? data.commit : "",
    dirty: data.dirty === true,
    files,
  };
}


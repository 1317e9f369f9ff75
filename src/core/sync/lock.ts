import { LineCounter, parseDocument, stringify, visit } from "yaml";
import { usageError } from "../base/errors.ts";
import { duplicateKeys, LINEAR_YAML } from "../config/yaml-guards.ts";
import type { FileState } from "./decide.ts";

export const LOCK_PATH = ".dt/sync.lock";

export interface SyncLock {
  from: string;
  commit: string;
  /** The source had uncommitted changes to synced files when this lock was written. */
  dirty: boolean;
  files: Record<string, FileState>;
  /** Symlinks dt wrote: path here -> link text. A link there with another text is not dt's. */
  links: Record<string, string>;
}

const LOCK_HEADER = `# Written by 'dt sync'; commit it, do not edit it.
# What dt sync last copied from the source sub-repo: its commit, and each file's hash and mode
# as written here. A file that no longer matches was changed here, and dt sync keeps it.
`;
const LINKS_NOTE = "# links: the symlinks dt sync manages, by their text; a link with another text is not dt's.\n";

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The lock's text: a header, then keys and files in a fixed order, so equal locks are equal bytes. */
export function formatLock(lock: SyncLock): string {
  const files = Object.fromEntries(
    Object.keys(lock.files)
      .sort(byName)
      .map((path) => [path, { sha256: lock.files[path]!.sha256, executable: lock.files[path]!.executable }]),
  );
  const links = Object.fromEntries(Object.keys(lock.links).sort(byName).map((path) => [path, lock.links[path]!]));
  // Without links, the lock is byte for byte what dt wrote before links existed; a dt that
  // predates links reads either form, as it ignores keys it does not know.
  const body = {
    version: 1,
    from: lock.from,
    commit: lock.commit,
    ...(lock.dirty ? { dirty: true } : {}),
    files,
    ...(Object.keys(links).length > 0 ? { links } : {}),
  };
  return LOCK_HEADER + (Object.keys(links).length > 0 ? LINKS_NOTE : "") + stringify(body, { lineWidth: 0, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

export function parseLock(text: string, file = LOCK_PATH): SyncLock {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, ...LINEAR_YAML });
  const bad = (what: string, offset = 0) =>
    usageError(`${what}`, {
      where: `${file}:${lineCounter.linePos(offset).line}`,
      hint: `restore it with 'git checkout -- ${file}', or delete it to start over (differing files then count as conflicts)`,
    });
  if (doc.errors.length > 0) throw bad(`invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, doc.errors[0]!.pos[0]);
  const duplicate = duplicateKeys(doc)[0];
  if (duplicate) throw bad("invalid YAML: Map keys must be unique", duplicate.range?.[0]);
  let data: Record<string, unknown> | null;
  try {
    data = doc.toJS() as Record<string, unknown> | null;
  } catch (e) {
    // The library's alias guard (its default budget): dt never writes an alias here.
    if (!(e instanceof ReferenceError)) throw e;
    let alias: number | undefined;
    visit(doc, { Alias: (_, node) => ((alias = node.range?.[0]), visit.BREAK) });
    throw bad(`aliases expand too far (${e.message}); dt sync writes no aliases`, alias);
  }
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
  const links: Record<string, string> = {};
  const rawLinks = data.links ?? {};
  if (typeof rawLinks !== "object" || Array.isArray(rawLinks)) throw bad("links: expected a mapping");
  for (const [path, text] of Object.entries(rawLinks as Record<string, unknown>)) {
    if (typeof text !== "string" || text === "") throw bad(`links.${path}: expected the link's text`);
    links[path] = text;
  }
  return {
    from: typeof data.from === "string" ? data.from : "",
    commit: typeof data.commit === "string" ? data.commit : "",
    dirty: data.dirty === true,
    files,
    links,
  };
}


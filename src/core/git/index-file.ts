// The paths a git index holds, read from the index file itself. `dt ls` wants the tracked
// `changelog.txt` files of every repo of a workspace; a `git ls-files --recurse-submodules`
// for them is two more processes, and on a 2-core machine starting a process costs more than
// reading the index (documented in git's Documentation/gitformat-index.txt).
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

const OID_BYTES = 20; // SHA-1; a SHA-256 repo fails the entry check below and falls back to git

/**
 * The paths in the index `file` whose last component is `name`, or undefined when the index is
 * one dt does not read (missing, a split or sparse index, another version or object format,
 * anything that does not parse): ask git then.
 */
export function indexedPathsNamed(file: string, name: string): string[] | undefined {
  return indexedPaths(file, (path) => path === name || path.endsWith(`/${name}`));
}

/** How many entries the index `file` holds, from its 12-byte header; undefined when it has none dt reads. */
export function indexEntryCount(file: string): number | undefined {
  const head = Buffer.alloc(12);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString("latin1", 0, 4) !== "DIRC") return undefined;
    return head.readUInt32BE(8);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The mode git gives a gitlink (a sub-repo's commit) in its index. */
export const GITLINK_MODE = 0o160000;

/** The paths in the index `file` that `keep` (given each path, as latin1, and its mode) keeps; undefined as above. */
export function indexedPaths(file: string, keep: (latin1Path: string, mode: number) => boolean): string[] | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "DIRC") return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const found: string[] = [];
  // Paths as latin1 strings: one char per byte, so version 4's "drop N bytes" is a slice.
  let previous = "";
  let at = 12;
  for (let i = 0; i < count; i++) {
    const start = at;
    // ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), the object id, flags.
    const flagsAt = start + 40 + OID_BYTES;
    if (flagsAt + 2 > buf.length) return undefined;
    const flags = buf.readUInt16BE(flagsAt);
    let p = flagsAt + 2;
    if (version >= 3 && flags & 0x4000) p += 2; // extended flags
    let path: string;
    if (version === 4) {
      // A varint: how many bytes of the previous path to drop; then the rest of this one.
      let byte = buf[p++] ?? 0;
      let drop = byte & 0x7f;
      while (byte & 0x80) {
        byte = buf[p++] ?? 0;
        drop = ((drop + 1) << 7) | (byte & 0x7f);
      }
      const end = buf.indexOf(0, p);
      if (end < 0 || drop > previous.length) return undefined;
      path = previous.slice(0, previous.length - drop) + buf.toString("latin1", p, end);
      at = end + 1;
    } else {
      const end = buf.indexOf(0, p);
      if (end < 0) return undefined;
      path = buf.toString("latin1", p, end);
      // NUL-padded to a multiple of 8 bytes, at least one NUL.
      at = start + ((end - start + 8) & ~7);
    }
    // The flags hold the name's length (capped at 0xFFF): a misread entry shows here.
    if ((flags & 0xfff) !== Math.min(path.length, 0xfff)) return undefined;
    previous = path;
    if (keep(path, buf.readUInt32BE(start + 24))) found.push(Buffer.from(path, "latin1").toString("utf8"));
  }
  // Extensions: a split index keeps entries in another file, a sparse one collapses dirs.
  while (at + 8 <= buf.length - OID_BYTES) {
    const signature = buf.toString("latin1", at, at + 4);
    if (signature === "link" || signature === "sdir") return undefined;
    at += 8 + buf.readUInt32BE(at + 4);
  }
  // Conflicted paths appear once per stage.
  return [...new Set(found)];
}

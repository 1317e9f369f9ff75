// The build context as an uncompressed tar, written the way `tar -c` writes one: headers and
// file contents read straight into a single reused buffer that the caller drains between
// chunks. A fresh buffer per chunk costs more than the reads themselves (page faults and
// garbage collection of ~100 MB for a 20,000-file context; bench/pack.sh and
// docs/benchmarks.md "pack"), so chunks are lent, not given.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";
import type { ContextEntry, EntryType } from "./context-entry.ts";
import { usageError, workError } from "../base/errors.ts";

const BLOCK = 512;
// Fits the L2 cache, so the bytes a read puts in the buffer are still there when the write
// copies them out; 512 KB and more measured slower, not faster.
export const CHUNK_BYTES = 128 * 1024;

/**
 * The tar of `entries` in the given (sorted) order: uid/gid 0 without user names, modes and
 * mtimes (whole seconds) as collected, symlinks as symlinks, PAX records for long or non-ASCII
 * names (as the Docker CLI's Go tar writer does), two zero blocks at the end.
 *
 * Every chunk is a view of one buffer that is overwritten when the generator resumes: use or
 * copy it before asking for the next. The chunks add up to exactly `tarSize(entries)` bytes; a
 * file that shrank since it was collected throws, one that grew is cut at its collected size.
 */
export function* lentTarChunks(entries: readonly ContextEntry[]): Generator<Uint8Array, void, void> {
  const batch = Buffer.alloc(CHUNK_BYTES);
  let used = 0;
  for (const e of entries) {
    const pax = paxRecords(e);
    const headerBytes = pax ? 2 * BLOCK + padded(pax.byteLength) : BLOCK;
    // A file that fits a chunk starts one if need be, so it is read with one call; a larger one
    // (or a template, whatever its size) follows its header wherever the buffer stands.
    const keepWhole = e.type === "file" && (e.content !== undefined || headerBytes + padded(e.size) <= CHUNK_BYTES);
    const need = headerBytes + (keepWhole ? padded(e.size) : 0);
    if (used + need > CHUNK_BYTES) {
      yield batch.subarray(0, used);
      batch.fill(0, 0, used);
      used = 0;
    }
    if (pax) {
      writeUstar(batch, used, "PaxHeader", "", 0o644, pax.byteLength, e.mtimeMs, "x", "");
      batch.set(pax, used + BLOCK);
      used += BLOCK + padded(pax.byteLength);
    }
    writeEntryHeader(batch, used, e);
    used += BLOCK;
    if (e.type !== "file" || e.size === 0) continue;
    // Contents from the file (or an injected template's bytes), over as many chunks as they span.
    const fd = e.content ? null : open(e);
    try {
      for (let done = 0; done < e.size; ) {
        const want = Math.min(e.size - done, CHUNK_BYTES - used);
        const n = fd === null ? copyInto(batch, used, e.content!.subarray(done, done + want)) : read(e, fd, batch, used, want, done);
        if (n === 0) throw shrank(e);
        done += n;
        used += n;
        if (used === CHUNK_BYTES) {
          yield batch;
          batch.fill(0);
          used = 0;
        }
      }
    } finally {
      if (fd !== null) closeSync(fd);
    }
    used = padded(used);
  }
  // The end-of-archive blocks: zeros the buffer already holds.
  if (used + 2 * BLOCK > CHUNK_BYTES) {
    yield batch.subarray(0, used);
    batch.fill(0, 0, used);
    used = 0;
  }
  yield batch.subarray(0, used + 2 * BLOCK);
}

/** The byte length of `lentTarChunks(entries)`, known before a byte is read (Content-Length). */
export function tarSize(entries: readonly ContextEntry[]): number {
  let total = 2 * BLOCK;
  for (const e of entries) {
    const pax = paxRecords(e);
    total += BLOCK + (pax ? BLOCK + padded(pax.byteLength) : 0) + (e.type === "file" ? padded(e.size) : 0);
  }
  return total;
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

// A file deleted, replaced by a directory or made unreadable between collecting and packing
// (a checkout or an editor's save-by-rename during the build) is named, not an internal error.
function open(e: ContextEntry): number {
  try {
    return openSync(e.source!, constants.O_RDONLY);
  } catch (cause) {
    throw changed(e, cause);
  }
}

function read(e: ContextEntry, fd: number, target: Buffer, offset: number, length: number, position: number): number {
  try {
    return readSync(fd, target, offset, length, position);
  } catch (cause) {
    throw changed(e, cause);
  }
}

function changed(e: ContextEntry, cause: unknown) {
  const code = (cause as NodeJS.ErrnoException).code;
  // Permissions are checked while collecting; this is a file made unreadable since.
  if (code === "EACCES" || code === "EPERM") {
    return usageError(`${e.path} is unreadable (permission denied): dt cannot send it`, { hint: `make it readable (chmod a+r ${e.path})`, cause });
  }
  return workError(`${e.path} changed while the build context was being packed (${code ?? String(cause)})`, { hint: "run the build again", cause });
}

function copyInto(target: Buffer, offset: number, bytes: Uint8Array): number {
  target.set(bytes, offset);
  return bytes.byteLength;
}

const shrank = (e: ContextEntry) => workError(`${e.path} shrank while the build context was being packed`, { hint: "run the build again" });

// ---------------------------------------------------------------- headers

const TYPEFLAG: Record<EntryType, string> = { file: "0", symlink: "2", dir: "5" };
const MAX_OCTAL_SIZE = 0o77777777777;
const utf8 = new TextEncoder();

const tarName = (e: ContextEntry) => (e.type === "dir" ? `${e.path}/` : e.path);

/** PAX records for what a ustar header cannot hold (long or non-ASCII names and links, huge sizes), or null. */
function paxRecords(e: ContextEntry): Uint8Array | null {
  const name = tarName(e);
  const link = e.linkTarget ?? "";
  let records = "";
  if (!fitsUstarName(name)) records += paxRecord("path", name);
  if (!fitsUstarLink(link)) records += paxRecord("linkpath", link);
  if (e.type === "file" && e.size > MAX_OCTAL_SIZE) records += paxRecord("size", String(e.size));
  return records === "" ? null : utf8.encode(records);
}

function writeEntryHeader(b: Buffer, o: number, e: ContextEntry): void {
  const name = tarName(e);
  const size = e.type === "file" && e.size <= MAX_OCTAL_SIZE ? e.size : 0;
  const link = fitsUstarLink(e.linkTarget ?? "") ? (e.linkTarget ?? "") : "";
  const split = ustarSplit(name);
  // Readers that ignore PAX still get a printable name; the others take the PAX path.
  const shown = split ?? { name: name.replace(/[^\x20-\x7e]/g, "_").slice(-100), prefix: "" };
  writeUstar(b, o, shown.name, shown.prefix, e.mode, size, e.mtimeMs, TYPEFLAG[e.type], link);
}

// The parts every header shares (magic, zero ids and device numbers, a blank checksum), with
// the sum of their bytes: the checksum is that plus the bytes written per entry.
const TEMPLATE = Buffer.alloc(BLOCK);
TEMPLATE.write("0000000", 108, "latin1"); // uid
TEMPLATE.write("0000000", 116, "latin1"); // gid
TEMPLATE.write("        ", 148, "latin1"); // checksum, counted as spaces
TEMPLATE.write("ustar\u000000", 257, "latin1");
TEMPLATE.write("0000000", 329, "latin1"); // devmajor
TEMPLATE.write("0000000", 337, "latin1"); // devminor
const TEMPLATE_SUM = TEMPLATE.reduce((sum, byte) => sum + byte, 0);

// Byte by byte in JS rather than Buffer#write: a native call per field cost more than the
// header's bytes (all ASCII here: ustarSplit and the fallback name see to it).
function putAscii(b: Buffer, o: number, text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    b[o + i] = c;
    sum += c;
  }
  return sum;
}

/** `value` as `digits` octal digits, zero-padded (the NUL after them is already in `b`). */
function putOctal(b: Buffer, o: number, value: number, digits: number): number {
  let sum = 0;
  for (let i = digits - 1; i >= 0; i--) {
    const c = 48 + (value % 8);
    b[o + i] = c;
    sum += c;
    value = Math.floor(value / 8);
  }
  return sum;
}

/** One ustar header at `o` of `b`, whose 512 bytes there are overwritten. */
function writeUstar(b: Buffer, o: number, name: string, prefix: string, mode: number, size: number, mtimeMs: number, type: string, link: string): void {
  b.set(TEMPLATE, o);
  let sum = TEMPLATE_SUM;
  sum += putAscii(b, o, name);
  sum += putOctal(b, o + 100, mode & 0o7777, 7);
  sum += putOctal(b, o + 124, size, 11);
  sum += putOctal(b, o + 136, Math.floor(mtimeMs / 1000), 11);
  sum += putAscii(b, o + 156, type);
  sum += putAscii(b, o + 157, link);
  sum += putAscii(b, o + 345, prefix);
  // The checksum field: six octal digits, NUL, space (what GNU tar and Go write).
  putOctal(b, o + 148, sum, 6);
  b[o + 154] = 0;
  b[o + 155] = 32;
}

const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);
const fitsUstarName = (name: string) => ustarSplit(name) !== null;
const fitsUstarLink = (link: string) => link.length <= 100 && isAscii(link);

// ustar holds a name of up to 100 bytes, or 255 split at a "/" into prefix and name.
function ustarSplit(name: string): { name: string; prefix: string } | null {
  if (name.length <= 100) return isAscii(name) ? { name, prefix: "" } : null;
  if (!isAscii(name)) return null;
  for (let slash = name.indexOf("/"); slash !== -1 && slash <= 155; slash = name.indexOf("/", slash + 1)) {
    const rest = name.slice(slash + 1);
    if (rest.length > 0 && rest.length <= 100) return { name: rest, prefix: name.slice(0, slash) };
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(length - bytes).length) length = bytes + String(length).length;
  return `${length}${body}`;
}

/**
 * The context's tar as a stream that owns its chunks, for consumers
 * that keep them (dockerode's upload over TLS or ssh, tests). The engine upload over a plain
 * socket writes the lent chunks itself and skips the copies.
 */
export function packContext(entries: readonly ContextEntry[]): Readable {
  return Readable.from(ownedChunks(entries), { objectMode: false, highWaterMark: CHUNK_BYTES });
}

function* ownedChunks(entries: readonly ContextEntry[]): Generator<Buffer> {
  for (const chunk of lentTarChunks(entries)) yield Buffer.from(chunk);
}

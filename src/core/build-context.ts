// Build contexts packed in-process: the runnable dir's files as the Docker CLI would send them
// (its .dockerignore semantics, symlinks never followed), plus the embedded devops templates
// the dir does not override. No temp dirs: the tar is streamed straight to the engine.
import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Dirent, type Stats } from "node:fs";
import { Readable } from "node:stream";
import { cleanPath, parseDockerignore, type Matcher, type MatchState } from "./dockerignore.ts";
import { usageError, workError } from "./errors.ts";

export type EntryType = "file" | "dir" | "symlink";

export interface ContextEntry {
  /** POSIX path relative to the context dir, without a trailing slash. */
  path: string;
  type: EntryType;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Bytes, files only (0 otherwise). */
  size: number;
  mtimeMs: number;
  /** Symlinks: the target exactly as stored in the link. */
  linkTarget?: string;
  /** Where a file-system entry lives; absent for injected templates. */
  source?: string;
  /** Injected templates: their bytes. */
  content?: Uint8Array;
}

export interface IgnoreFile {
  text: string;
  /** Named in errors as `file:line`. */
  file: string;
}

export interface InjectedFile {
  text: string;
  mode: number;
}

export interface CollectedContext {
  /** Sorted by path, each directory before its contents. */
  entries: ContextEntry[];
  /** Facts worth telling the user (large files, skipped special files); never printed here. */
  warnings: string[];
}

export const LARGE_FILE_BYTES = 50 * 1024 * 1024;

// Injected templates get a fixed mtime so the tar and the digest do not depend on when dt ran;
// 2000-01-01 rather than the epoch because zip-based Python tooling rejects pre-1980 times.
export const INJECTED_MTIME_MS = Date.UTC(2000, 0, 1);

/**
 * Walks `dir` and returns what the Docker CLI would send as its context under `ignore`:
 * excluded entries left out (an excluded dir is walked only if an exception may re-include
 * something below it), symlinks recorded as links and never followed (one pointing outside the
 * context is packed as a link, so nothing outside `dir` is ever read).
 *
 * `injected` are embedded files keyed by context path. Each is added only where `dir` has
 * nothing at that path, and is never subject to the ignore file; where `dir` has its own file,
 * that file wins and is packed even if the ignore file excludes it (the build needs it, as the
 * Docker CLI keeps the Dockerfile).
 */
export function collectContext(
  dir: string,
  ignore: IgnoreFile | null,
  injected: ReadonlyMap<string, InjectedFile> = new Map(),
): CollectedContext {
  const walker: Walker = {
    root: dir,
    matcher: parseDockerignore(ignore?.text ?? "", ignore?.file ?? ".dockerignore"),
    ignoreFile: ignore?.file ?? ".dockerignore",
    entries: [],
    warnings: [],
  };
  walk(walker, dir, "", null);
  addInjected(walker, injected);
  // The walk already yields this order; the sort is for the injected entries (and cheap on
  // sorted input).
  walker.entries.sort((a, b) => comparePaths(a.path, b.path));
  // Each warning starts with its path: sorting gives them the entries' stable order.
  return { entries: walker.entries, warnings: walker.warnings.sort() };
}

interface Walker {
  root: string;
  matcher: Matcher;
  ignoreFile: string;
  entries: ContextEntry[];
  warnings: string[];
}

/**
 * Path order with "/" below every other character, so a dir's contents follow it directly
 * ("a", "a/x", "a-b") instead of being split by siblings whose names extend the dir's.
 */
function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return (x === 47 ? -1 : x) - (y === 47 ? -1 : y);
  }
  return a.length - b.length;
}

function walk(w: Walker, absDir: string, relDir: string, parent: MatchState | null): void {
  let dirents: Dirent[];
  try {
    dirents = readdirSync(absDir, { withFileTypes: true });
  } catch (cause) {
    throw unreadable(w, relDir || ".", cause);
  }
  // Sorted siblings make the walk's pre-order the final order.
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    const rel = relDir === "" ? d.name : `${relDir}/${d.name}`;
    const abs = `${absDir}/${d.name}`;
    const { excluded, state } = w.matcher.evaluate(rel, parent);
    if (excluded) {
      if (isDirent(d, abs) && w.matcher.mayHaveExceptionsUnder(rel)) walk(w, abs, rel, state);
      continue;
    }
    const stats = lstat(w, abs, rel);
    const entry = entryFor(w, rel, abs, stats);
    if (!entry) continue;
    w.entries.push(entry);
    if (entry.type === "dir") walk(w, abs, rel, state);
  }
}

// Some file systems report no type in readdir; only then pay for an lstat.
function isDirent(d: Dirent, abs: string): boolean {
  if (d.isDirectory()) return true;
  if (d.isFile() || d.isSymbolicLink()) return false;
  try {
    return lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function lstat(w: Walker, abs: string, rel: string): Stats {
  try {
    return lstatSync(abs);
  } catch (cause) {
    throw unreadable(w, rel, cause);
  }
}

function entryFor(w: Walker, rel: string, abs: string, stats: Stats): ContextEntry | null {
  const mode = stats.mode & 0o7777;
  if (stats.isFile()) {
    if (stats.size > LARGE_FILE_BYTES) {
      w.warnings.push(`${rel} is ${Math.round(stats.size / 1024 / 1024)} MB; every build sends it: add it to ${w.ignoreFile} if the image does not need it`);
    }
    return { path: rel, type: "file", mode, size: stats.size, mtimeMs: stats.mtimeMs, source: abs };
  }
  if (stats.isDirectory()) return { path: rel, type: "dir", mode, size: 0, mtimeMs: stats.mtimeMs, source: abs };
  if (stats.isSymbolicLink()) {
    return { path: rel, type: "symlink", mode, size: 0, mtimeMs: stats.mtimeMs, source: abs, linkTarget: readlinkSync(abs) };
  }
  w.warnings.push(`${rel} is not a regular file, directory or symlink (socket, fifo or device): left out of the build context`);
  return null;
}

function unreadable(w: Walker, rel: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return usageError(`cannot read ${rel} in the build context ${w.root} (${code})`, {
    hint: `fix its permissions, or add it to ${w.ignoreFile}`,
    cause,
  });
}

// ---------------------------------------------------------------- injected templates

function addInjected(w: Walker, injected: ReadonlyMap<string, InjectedFile>): void {
  if (injected.size === 0) return;
  const present = new Map(w.entries.map((e) => [e.path, e.type]));
  for (const [rawPath, file] of injected) {
    const path = cleanPath(rawPath);
    if (path.startsWith("/") || path === "." || path.startsWith("../")) {
      throw new Error(`injected build-context path ${rawPath} is not inside the context`);
    }
    if (present.get(path) === "dir") throw aDirWhereAFileGoes(w, path);
    if (present.has(path)) continue;
    const own = ownEntry(w, path);
    w.entries.push(own ?? injectedEntry(path, file));
    present.set(path, "file");
    addParents(w, path, present);
  }
}

/** The dir's own file at `path` (excluded by the ignore file, since the walk did not add it). */
function ownEntry(w: Walker, path: string): ContextEntry | null {
  const abs = `${w.root}/${path}`;
  let stats: Stats;
  try {
    stats = lstatSync(abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ENOTDIR") throw notADir(w, path);
    throw unreadable(w, path, cause);
  }
  if (stats.isDirectory()) throw aDirWhereAFileGoes(w, path);
  return entryFor(w, path, abs, stats);
}

function injectedEntry(path: string, file: InjectedFile): ContextEntry {
  const content = Buffer.from(file.text, "utf8");
  return { path, type: "file", mode: file.mode & 0o7777, size: content.byteLength, mtimeMs: INJECTED_MTIME_MS, content };
}

// An injected file whose dirs were excluded or do not exist: the tar still gets them, so
// the engine does not have to invent their modes.
function addParents(w: Walker, path: string, present: Map<string, EntryType>): void {
  for (let slash = path.lastIndexOf("/"); slash > 0; slash = path.lastIndexOf("/", slash - 1)) {
    const parent = path.slice(0, slash);
    if (present.has(parent)) return;
    present.set(parent, "dir");
    w.entries.push(ownDir(w, parent) ?? { path: parent, type: "dir", mode: 0o755, size: 0, mtimeMs: INJECTED_MTIME_MS });
  }
}

function ownDir(w: Walker, path: string): ContextEntry | null {
  const abs = `${w.root}/${path}`;
  try {
    const stats = lstatSync(abs);
    if (!stats.isDirectory()) throw notADir(w, path);
    return { path, type: "dir", mode: stats.mode & 0o7777, size: 0, mtimeMs: stats.mtimeMs, source: abs };
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw cause;
  }
}

const aDirWhereAFileGoes = (w: Walker, path: string) =>
  usageError(`${path} in ${w.root} is a directory, where dt expects a file`, {
    hint: `rename it, or remove it to use dt's embedded ${path}`,
  });

const notADir = (w: Walker, path: string) =>
  usageError(`a path on the way to ${path} in ${w.root} is not a directory`, {
    hint: "dt puts its devops templates there: rename the file that is in the way",
  });

// ---------------------------------------------------------------- digest

/**
 * The identity of a build: entries' metadata (path, type, mode, size, mtime in ms, link
 * target), injected entries' content, and `extraInputs` (build args, Dockerfile, version,
 * stage...). Metadata only, never file contents, so checking an unchanged context is cheap.
 * Touching a file changes the digest and so rebuilds, which is intended: the engine's own
 * layer cache makes that rebuild fast when nothing really changed. Milliseconds (not the
 * tar's whole seconds) so that an edit in the same second as the last build still counts.
 */
export function contextDigest(entries: readonly ContextEntry[], extraInputs: Record<string, string> = {}): string {
  // Bun's hasher rather than node:crypto, whose loading costs more than hashing a context.
  const hash = new Bun.CryptoHasher("sha256");
  hash.update("dt-context-v1\n");
  const lines: string[] = [];
  for (const e of entries) {
    const content = e.content ? new Bun.CryptoHasher("sha256").update(e.content).digest("hex") : "";
    lines.push(JSON.stringify([e.path, e.type, e.mode, e.size, Math.floor(e.mtimeMs), e.linkTarget ?? "", content]));
  }
  for (const key of Object.keys(extraInputs).sort()) lines.push(JSON.stringify([key, extraInputs[key]]));
  hash.update(lines.join("\n"));
  return `sha256:${hash.digest("hex")}`;
}

// ---------------------------------------------------------------- tar

// Small files are read straight into the outgoing batch, many to a chunk, so the stream's
// per-chunk costs are paid per 128 KB, not per file; larger files are streamed in chunks of
// their own, so memory stays flat whatever the context holds.
const WHOLE_FILE_BYTES = 64 * 1024;
const BATCH_BYTES = 128 * 1024;
const BLOCK = 512;

/**
 * The context as an uncompressed tar stream for the engine's build endpoint: entries in the
 * given (sorted) order, uid/gid 0 with no user names, modes and mtimes (whole seconds) as on
 * disk, symlinks as symlinks, PAX records for long or non-ASCII names (as the Docker CLI's Go
 * tar writer does). Files are read as the stream is consumed, many small ones per chunk.
 *
 * The headers are written here rather than by tar-stream's packer: it costs ~25 us and an
 * async hop per entry, which made packing 20,000 files 3x slower than `tar -c`
 * (bench/pack.sh). tar-stream reads these archives back in the tests.
 */
export function packContext(entries: readonly ContextEntry[]): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false, highWaterMark: BATCH_BYTES });
}

function* tarChunks(entries: readonly ContextEntry[]): Generator<Buffer> {
  // Zeroed up front, so tar's padding after each file needs no writes of its own.
  let batch = Buffer.alloc(BATCH_BYTES);
  let used = 0;
  for (const e of entries) {
    const header = planHeader(e);
    const streamed = e.type === "file" && !e.content && e.size > WHOLE_FILE_BYTES;
    const need = header.bytes + (e.type === "file" && !streamed ? padded(e.size) : 0);
    if (used + need > batch.byteLength) {
      if (used > 0) yield batch.subarray(0, used);
      batch = Buffer.alloc(Math.max(BATCH_BYTES, need));
      used = 0;
    }
    writeHeader(batch, used, header);
    used += header.bytes;
    if (streamed) {
      yield batch.subarray(0, used);
      batch = batch.subarray(used);
      used = 0;
      yield* fileChunks(e);
      continue;
    }
    if (e.content) Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength).copy(batch, used);
    else if (e.type === "file" && e.size > 0) readInto(e, batch, used);
    used += need - header.bytes;
  }
  if (used > 0) yield batch.subarray(0, used);
  yield Buffer.alloc(2 * BLOCK);
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

function readInto(e: ContextEntry, target: Buffer, offset: number): number {
  const fd = openSync(e.source!, constants.O_RDONLY);
  try {
    let done = 0;
    while (done < e.size) {
      const n = readSync(fd, target, offset + done, e.size - done, done);
      if (n === 0) throw changedWhilePacking(e);
      done += n;
    }
    return done;
  } finally {
    closeSync(fd);
  }
}

function* fileChunks(e: ContextEntry): Generator<Buffer> {
  const fd = openSync(e.source!, constants.O_RDONLY);
  try {
    for (let done = 0; done < e.size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(BATCH_BYTES, e.size - done));
      const n = readSync(fd, chunk, 0, chunk.byteLength, done);
      if (n === 0) throw changedWhilePacking(e);
      done += n;
      yield n === chunk.byteLength ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
  const padding = padded(e.size) - e.size;
  if (padding > 0) yield Buffer.alloc(padding);
}

const changedWhilePacking = (e: ContextEntry) =>
  workError(`${e.path} shrank while the build context was being packed`, { hint: "run the build again" });

const TYPEFLAG: Record<EntryType | "pax", string> = { file: "0", symlink: "2", dir: "5", pax: "x" };
const MAX_OCTAL_SIZE = 0o77777777777;

interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  link: string;
}

interface HeaderPlan {
  main: UstarFields;
  /** PAX records for what ustar cannot hold (long or non-ASCII names and links, huge sizes). */
  pax: Buffer | null;
  bytes: number;
}

function planHeader(e: ContextEntry): HeaderPlan {
  const name = e.type === "dir" ? `${e.path}/` : e.path;
  const size = e.type === "file" ? e.size : 0;
  const split = ustarName(name);
  const link = e.linkTarget ?? "";
  const linkFits = link.length <= 100 && isAscii(link);
  let pax = "";
  if (!split) pax += paxRecord("path", name);
  if (!linkFits) pax += paxRecord("linkpath", link);
  if (size > MAX_OCTAL_SIZE) pax += paxRecord("size", String(size));
  const main: UstarFields = {
    ...(split ?? fallbackName(name)),
    mode: e.mode,
    size: size > MAX_OCTAL_SIZE ? 0 : size,
    mtime: Math.floor(e.mtimeMs / 1000),
    type: TYPEFLAG[e.type],
    link: linkFits ? link : "",
  };
  if (!pax) return { main, pax: null, bytes: BLOCK };
  const records = Buffer.from(pax, "utf8");
  return { main, pax: records, bytes: 2 * BLOCK + padded(records.byteLength) };
}

/** Writes the planned header(s) at `offset` of `b`, whose next `plan.bytes` bytes are zero. */
function writeHeader(b: Buffer, offset: number, plan: HeaderPlan): void {
  let o = offset;
  if (plan.pax) {
    const { mtime } = plan.main;
    writeUstar(b, o, { name: "PaxHeader", prefix: "", mode: 0o644, size: plan.pax.byteLength, mtime, type: TYPEFLAG.pax, link: "" });
    plan.pax.copy(b, o + BLOCK);
    o += BLOCK + padded(plan.pax.byteLength);
  }
  writeUstar(b, o, plan.main);
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

// Fields are ASCII (ustarName and fallbackName see to it), so char codes are the bytes.
function put(b: Buffer, offset: number, text: string): number {
  b.write(text, offset, "latin1");
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum;
}

const octal = (value: number, digits: number) => value.toString(8).padStart(digits, "0");

function writeUstar(b: Buffer, o: number, f: UstarFields): void {
  TEMPLATE.copy(b, o);
  let sum = TEMPLATE_SUM;
  sum += put(b, o, f.name);
  sum += put(b, o + 100, octal(f.mode & 0o7777, 7));
  sum += put(b, o + 124, octal(f.size, 11));
  sum += put(b, o + 136, octal(f.mtime, 11));
  sum += put(b, o + 156, f.type);
  if (f.link) sum += put(b, o + 157, f.link);
  if (f.prefix) sum += put(b, o + 345, f.prefix);
  b.write(`${octal(sum, 6)}\u0000 `, o + 148, "latin1");
}

// ustar holds a name of up to 100 bytes, or 255 split at a "/" into prefix and name.
function ustarName(name: string): { name: string; prefix: string } | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return { name, prefix: "" };
  for (let slash = name.indexOf("/"); slash !== -1 && slash <= 155; slash = name.indexOf("/", slash + 1)) {
    const rest = name.slice(slash + 1);
    if (rest.length > 0 && rest.length <= 100) return { name: rest, prefix: name.slice(0, slash) };
  }
  return null;
}

// What old readers that ignore PAX see; others take the PAX path.
const fallbackName = (name: string) => ({ name: name.replace(/[^\x20-\x7e]/g, "_").slice(-100), prefix: "" });

const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(length - bytes).length) length = bytes + String(length).length;
  return `${length}${body}`;
}

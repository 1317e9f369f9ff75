// Build contexts packed in-process: the runnable dir's files as the Docker CLI would send them
// (its .dockerignore semantics), plus the embedded devops templates the dir does not override.
// dt's builds resolve symlinks that stay inside the workspace (`tar -h`), because repos of the
// older toolchain link their devops files into a shared sub-repo. No temp dirs: the tar is
// streamed straight to the engine.
import { accessSync, constants, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import { relative } from "node:path";
import { cleanPath, parseDockerignore, type Matcher, type MatchState } from "./dockerignore.ts";
import { usageError, workError } from "../base/errors.ts";
import { bytesAsText, nonUtf8Names, REPLACEMENT } from "../base/raw-names.ts";
import { runNow, runYielding, sliceDue } from "../base/yielding.ts";
import type { ContextEntry, EntryType } from "./context-entry.ts";

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

export interface CollectOptions {
  /**
   * Resolve symlinks whose target is inside this dir (a realpath: the workspace root), packing
   * the target's content as `tar -h` does; a link that leaves it, dangles or loops is an input
   * error. Without it, links are packed as links and never followed, as the Docker CLI does.
   */
  resolveLinksWithin?: string;
}

export const LARGE_FILE_BYTES = 50 * 1024 * 1024;

// Injected templates get a fixed mtime so the tar and the digest do not depend on when dt ran;
// 2000-01-01 rather than the epoch because zip-based Python tooling rejects pre-1980 times.
export const INJECTED_MTIME_MS = Date.UTC(2000, 0, 1);

/**
 * Walks `dir` and returns what the Docker CLI would send as its context under `ignore`:
 * excluded entries left out (an excluded dir is walked only if an exception may re-include
 * something below it); symlinks as `options.resolveLinksWithin` says (by default recorded as
 * links and never followed, so nothing outside `dir` is ever read).
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
  options: CollectOptions = {},
): CollectedContext {
  return runNow(collecting(dir, ignore, injected, options));
}

/**
 * `collectContext` that lets the event loop turn every few dozen milliseconds, so that a signal
 * during the walk of a large context (or one with many ignore patterns) ends dt at once.
 */
export function collectContextYielding(
  dir: string,
  ignore: IgnoreFile | null,
  injected: ReadonlyMap<string, InjectedFile> = new Map(),
  options: CollectOptions = {},
): Promise<CollectedContext> {
  return runYielding(collecting(dir, ignore, injected, options));
}

function* collecting(
  dir: string,
  ignore: IgnoreFile | null,
  injected: ReadonlyMap<string, InjectedFile>,
  options: CollectOptions,
): Generator<void, CollectedContext, void> {
  const walker: Walker = {
    root: dir,
    matcher: parseDockerignore(ignore?.text ?? "", ignore?.file ?? ".dockerignore"),
    ignoreFile: ignore?.file ?? ".dockerignore",
    entries: [],
    warnings: [],
    linkRoot: options.resolveLinksWithin,
    walking: options.resolveLinksWithin ? [realpathSync(dir)] : [],
  };
  yield* walk(walker, walker.walking[0] ?? dir, "", null);
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
  linkRoot: string | undefined;
  /** Real paths of the dirs being walked, outermost first: a link back into one is a loop. */
  walking: string[];
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

function* walk(w: Walker, absDir: string, relDir: string, parent: MatchState | null): Generator<void, void, void> {
  let dirents: Dirent[];
  try {
    dirents = readdirSync(absDir, { withFileTypes: true });
  } catch (cause) {
    throw unreadable(w, relDir || ".", cause);
  }
  // Sorted siblings make the walk's pre-order the final order.
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let rawNames: Map<string, Buffer> | undefined;
  for (const d of dirents) {
    if (sliceDue()) yield;
    const rel = relDir === "" ? d.name : `${relDir}/${d.name}`;
    const abs = `${absDir}/${d.name}`;
    const { excluded, state } = w.matcher.evaluate(rel, parent);
    // A name that is not UTF-8 reaches dt with U+FFFD for its bad bytes: a name that opens
    // nothing. Left out, it is no concern; sent, it would be sent under a wrong name.
    const raw = d.name.includes(REPLACEMENT) ? (rawNames ??= nonUtf8Names(absDir)).get(d.name) : undefined;
    if (excluded) {
      if (!raw && isDirent(d, abs) && w.matcher.mayHaveExceptionsUnder(rel)) yield* walk(w, abs, rel, state);
      continue;
    }
    if (raw) {
      const shown = relDir === "" ? bytesAsText(raw) : `${relDir}/${bytesAsText(raw)}`;
      throw usageError(`${shown} in the build context ${w.root}: its name is not valid UTF-8, and dt sends only UTF-8 names`, {
        hint: `rename it to UTF-8 (e.g. convmv -f latin1 -t utf-8), or ${leaveOut(w)}`,
      });
    }
    const stats = lstat(w, abs, rel);
    const entry = entryFor(w, rel, abs, stats);
    if (!entry) continue;
    w.entries.push(entry);
    if (entry.type !== "dir") continue;
    if (!w.linkRoot) {
      yield* walk(w, abs, rel, state);
      continue;
    }
    // Below a resolved link, paths are the link's (rel) while the files are the target's.
    const real = entry.source!;
    w.walking.push(real);
    yield* walk(w, real, rel, state);
    w.walking.pop();
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
    if (!readable(stats, abs)) {
      throw usageError(`${rel} in the build context ${w.root} is unreadable (permission denied): dt cannot send it`, {
        hint: `make it readable (chmod a+r ${rel}), or ${leaveOut(w)}`,
      });
    }
    if (stats.size > LARGE_FILE_BYTES) {
      w.warnings.push(`${rel} is ${Math.round(stats.size / 1024 / 1024)} MB; every build sends it: add it to ${w.ignoreFile} if the image does not need it`);
    }
    return { path: rel, type: "file", mode, size: stats.size, mtimeMs: stats.mtimeMs, source: abs };
  }
  if (stats.isDirectory()) return { path: rel, type: "dir", mode, size: 0, mtimeMs: stats.mtimeMs, source: abs };
  if (stats.isSymbolicLink()) {
    if (w.linkRoot) return resolvedLink(w, rel, abs);
    return { path: rel, type: "symlink", mode, size: 0, mtimeMs: stats.mtimeMs, source: abs, linkTarget: readlinkSync(abs) };
  }
  w.warnings.push(`${rel} is not a regular file, directory or symlink (socket, fifo or device): left out of the build context`);
  return null;
}

/**
 * A link inside the workspace, as its target: a file with the target's bytes and metadata, or a
 * dir whose contents the walk adds (`source` is then the real dir). Anything else stops the
 * build before the engine gets a byte: a context must never carry a file from outside.
 */
function resolvedLink(w: Walker, rel: string, abs: string): ContextEntry | null {
  const root = w.linkRoot!;
  const shown = relative(root, abs) || rel;
  const target = readlinkSync(abs);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ELOOP" ? "is a symlink loop" : code === "ENOENT" ? "points to nothing (a dangling link)" : `cannot be resolved (${code})`;
    throw usageError(`${shown} -> ${target} ${what}`, { hint: `fix or remove the link, or leave it out with ${w.ignoreFile}`, cause });
  }
  if (real !== root && !real.startsWith(`${root}/`)) {
    throw usageError(`${shown} -> ${target} resolves to ${real}, outside the workspace ${root}; dt never sends files from outside it`, {
      hint: `copy the file into the workspace (or a sub-repo), or leave the link out with ${w.ignoreFile}`,
    });
  }
  const stats = statSync(real);
  if (stats.isDirectory() && w.walking.some((dir) => dir === real || dir.startsWith(`${real}/`))) {
    throw usageError(`${shown} -> ${target} is a symlink loop (it leads back into ${relative(root, real) || "."})`, {
      hint: `fix or remove the link, or leave it out with ${w.ignoreFile}`,
    });
  }
  return entryFor(w, rel, real, stats);
}

function unreadable(w: Walker, rel: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
  if (code === "EACCES" || code === "EPERM") {
    return usageError(`${rel} in the build context ${w.root} is unreadable (permission denied): dt cannot send it`, {
      hint: `make it readable (chmod a+rX ${rel}), or ${leaveOut(w)}`,
      cause,
    });
  }
  if (code === "ENOENT" || code === "ENOTDIR") {
    return workError(`${rel} in the build context ${w.root} was removed or replaced while the context was being collected (${code})`, {
      hint: "run the build again",
      cause,
    });
  }
  return usageError(`cannot read ${rel} in the build context ${w.root} (${code})`, {
    hint: `fix it, or ${leaveOut(w)}`,
    cause,
  });
}

/** Where to list a path to leave it out; dt's embedded ignore file is one the user writes out first. */
function leaveOut(w: Walker): string {
  const embedded = /^\(embedded (.+)\)$/.exec(w.ignoreFile)?.[1];
  return embedded ? `leave it out with ${embedded} ('dt init' writes dt's own there to extend)` : `leave it out with ${w.ignoreFile}`;
}

const uid = process.getuid?.();
let groups: Set<number> | undefined;

/**
 * Whether this process may read the file, from the mode bits lstat already gave, confirmed by
 * access(2) only when the bits say no (an ACL may still allow it). Root reads everything.
 */
function readable(stats: Stats, abs: string): boolean {
  if (uid === undefined || uid === 0) return true;
  groups ??= new Set([process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])]);
  const bit = stats.uid === uid ? 0o400 : groups.has(stats.gid) ? 0o040 : 0o004;
  if ((stats.mode & bit) !== 0) return true;
  try {
    accessSync(abs, constants.R_OK);
    return true;
  } catch {
    return false;
  }
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

export function injectedEntry(path: string, file: InjectedFile): ContextEntry {
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

/**
 * The identity of a build's content, the same in every checkout of one commit: the inputs of
 * the context digest with each file's bytes in place of its size and mtime, and of its mode
 * only the executable bit (all git keeps; the rest follows the umask of whoever checked out).
 * The context digest cannot serve across checkouts: a clone writes every file at its own time.
 * It reads every file, so it is computed only for a build that really runs, never for the skip.
 */
export function contentDigest(entries: readonly ContextEntry[], extraInputs: Record<string, string> = {}): string {
  const hash = new Bun.CryptoHasher("sha256");
  hash.update("dt-content-v1\n");
  for (const e of entries) {
    const bytes = e.type === "file" ? new Bun.CryptoHasher("sha256").update(e.content ?? readFileSync(e.source!)).digest("hex") : "";
    const exec = e.type === "file" && e.mode & 0o111 ? "x" : "";
    hash.update(`${JSON.stringify([e.path, e.type, exec, e.linkTarget ?? "", bytes])}\n`);
  }
  for (const key of Object.keys(extraInputs).sort()) hash.update(`${JSON.stringify([key, extraInputs[key]])}\n`);
  return `sha256:${hash.digest("hex")}`;
}

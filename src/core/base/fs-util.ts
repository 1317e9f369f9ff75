import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from "node:fs";
import { dirname, basename, join, relative, resolve, isAbsolute } from "node:path";
import { noteLook, noteRead } from "./answers.ts";
import { DtError, ExitCode, usageError } from "./errors.ts";

export function isDir(path: string): boolean {
  noteLook(path);
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  noteLook(path);
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function exists(path: string): boolean {
  noteLook(path);
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The file's text, or undefined. `derived`: a file dt wrote from others (a cache), not an input of what it prints. */
export function readText(path: string, options: { derived?: boolean } = {}): string | undefined {
  if (!options.derived) noteRead(path);
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export interface WriteOptions {
  /**
   * Write through a symlink at `path` (the link stays a link, its target gets the content) as
   * long as the target is inside this directory; a link that leaves it is a usage error. Without
   * it, a link at `path` is replaced by the file.
   */
  throughLinksWithin?: string;
  /**
   * A cache, which the next run can compute again: no fsync (a crash leaves the old file, or one
   * its reader cannot parse and takes as a miss), which costs milliseconds on every write.
   */
  cache?: boolean;
}

/**
 * Writes a file so that readers see the old content or the new, never half of it: a temp file
 * in the same directory, every byte written, fsync, then rename over the target. Anything that
 * fails (a full disk above all) removes the temp file and leaves the target as it was.
 *
 * `mode` sets the new file's mode; without it an existing file keeps its mode (and, where the
 * system lets us, its owner), a new one gets 0644.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode?: number, options: WriteOptions = {}): void {
  const target = options.throughLinksWithin === undefined ? path : linkTarget(path, options.throughLinksWithin);
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const existing = statIfFile(target);
  const temp = join(dir, `.${basename(target)}.dt-${process.pid}-${Date.now()}${Math.floor(Math.random() * 1e6)}.tmp`);
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  let fd: number | undefined;
  try {
    // "wx": a name someone planted in the directory is never followed or reused.
    fd = openSync(temp, "wx", mode ?? 0o644);
    if (mode === undefined && existing) keepOwnerAndMode(fd, existing);
    writeAll(fd, bytes);
    if (!options.cache) fsyncSync(fd);
    const closing = fd;
    fd = undefined;
    // Some file systems (NFS) report a full disk only when the file is closed.
    closeSync(closing);
    renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the temp file goes next.
      }
    }
    rmSync(temp, { force: true });
    throw writeError(e, target);
  }
}

/**
 * Creates `path`, which must not exist, with all of `content`; on any failure it is removed
 * again. `label` names the file in a full-disk error when `path` is a temp name.
 */
export function writeNewFile(path: string, content: string, label = path): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "wx", 0o644);
    writeAll(fd, Buffer.from(content));
    const closing = fd;
    fd = undefined;
    closeSync(closing);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the file goes next.
      }
    }
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") rmSync(path, { force: true });
    throw writeError(e, label);
  }
}

/** `writeSync` may write less than asked (a disk that fills up mid-way): loop until all is out. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const n = writeSync(fd, bytes, offset, bytes.length - offset);
    // A write that makes no progress and reports no error would loop forever: treat as full.
    if (n <= 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    offset += n;
  }
}

function statIfFile(path: string): Stats | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

function keepOwnerAndMode(fd: number, existing: Stats): void {
  // fchmod, not the open mode: the umask would otherwise turn a 0664 file into 0644.
  fchmodSync(fd, existing.mode & 0o7777);
  if (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.()) {
    try {
      fchownSync(fd, existing.uid, existing.gid);
      // chown clears setuid/setgid bits; put them back.
      fchmodSync(fd, existing.mode & 0o7777);
    } catch {
      // Only root may give a file away; the file then becomes ours, as an editor would make it.
    }
  }
}

/** The file a write to `path` must go to: `path`, or the end of its chain of symlinks. */
function linkTarget(path: string, within: string): string {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(current);
    } catch {
      break;
    }
    if (!st.isSymbolicLink()) break;
    current = resolve(dirname(current), readlinkSync(current));
  }
  if (current === path) return path;
  const rootReal = realOrSelf(within);
  const rel = relative(rootReal, join(realOrSelf(dirname(current)), basename(current)));
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw usageError(`${path} is a symlink to ${current}, which is outside ${within}`, {
      hint: "dt writes through links only inside the workspace: replace the link by the file, or link the other way round",
    });
  }
  return current;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A full disk or quota says where and that nothing changed; other errors pass as they are. */
function writeError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== "ENOSPC" && code !== "EDQUOT") return e;
  const mount = mountOf(dirname(path));
  const where = mount ? `${mount.source} (mounted at ${mount.point})` : "the device";
  const what = code === "ENOSPC" ? `no space left on ${where}` : `disk quota exceeded on ${where}`;
  return new DtError(ExitCode.failed, `${what} while writing ${path} (nothing was changed)`, {
    hint: `free some space${mount ? ` on ${mount.point}` : ""} and run the command again`,
    cause: e,
  });
}

/** The mount holding `path`, from /proc/self/mountinfo (Linux); undefined elsewhere. */
function mountOf(path: string): { point: string; source: string } | undefined {
  const info = readText("/proc/self/mountinfo");
  if (info === undefined) return undefined;
  const real = realOrSelf(path);
  let best: { point: string; source: string } | undefined;
  for (const line of info.split("\n")) {
    const [left, right] = line.split(" - ");
    const point = left?.split(" ")[4];
    const source = right?.split(" ")[1];
    if (!point || !source) continue;
    // mountinfo escapes spaces and the like as octal (\040).
    const decoded = point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const inside = decoded === "/" || real === decoded || real.startsWith(`${decoded}/`);
    if (inside && (!best || decoded.length >= best.point.length)) best = { point: decoded, source };
  }
  return best;
}

/** Removes the oldest files (by mtime) of `dir` past the newest `keep`; a cache's bound. */
export function pruneOldest(dir: string, keep: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  if (names.length <= keep) return;
  const aged = names.map((name) => {
    try {
      return { path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs };
    } catch {
      return { path: join(dir, name), mtime: 0 };
    }
  });
  aged.sort((a, b) => b.mtime - a.mtime);
  for (const { path } of aged.slice(keep)) rmSync(path, { force: true });
}

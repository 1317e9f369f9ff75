// A lock file next to the file it guards, safe against the ways the first version lost bumps:
// the lock appears whole (written to a temp name, then hard-linked into place, which fails if
// it exists), so no reader ever sees it empty; a lock whose holder is provably dead is taken
// over by one process only (the one that creates its take-over marker), after checking that it
// is still the same lock; and a process removes the lock only while it still carries its token.
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync } from "node:fs";
import { randomHex } from "./random.ts";
import { hostname } from "node:os";
import { DtError, ExitCode } from "./errors.ts";
import { writeNewFile } from "./fs-util.ts";
import { onCleanup } from "./lifecycle.ts";

/** A lock as seen by a reader. */
export interface LockHolder {
  /** What identifies this very lock file: its holder's token (older forms: pid, inode, mtime). */
  token: string;
  pid: number | null;
  /** Provably gone: a pid on this host that no longer exists, or a lock left unreadable for long. */
  dead: boolean;
}

/** A lock file that stays empty or unreadable this long was left by a writer that died. */
const UNREADABLE_MS = 10_000;
/** Link errors of file systems without hard links: create the lock with O_EXCL there. */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK", "EXDEV"]);

const newToken = () => randomHex(12);
const lockText = (token: string) => `${process.pid} ${hostname()} ${token}\n`;

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: it exists, under another user. Only "no such process" proves it gone.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** The lock at `file`, or undefined when there is none. */
export function readLock(file: string): LockHolder | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let text: string;
  let stat: ReturnType<typeof fstatSync>;
  try {
    stat = fstatSync(fd);
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  const [pidText, host, token] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  const identity = `${stat.ino}-${Math.round(stat.mtimeMs)}`;
  if (!Number.isInteger(pid) || pid <= 0) {
    // Being written by a dt on a file system without hard links; dead once it stays so.
    return { token: `unreadable-${identity}`, pid: null, dead: Date.now() - stat.mtimeMs > UNREADABLE_MS };
  }
  // An older dt wrote its pid only.
  const id = token && /^[0-9a-f]+$/.test(token) ? token : `pid-${pid}-${identity}`;
  // On another host (a shared file system) nothing proves the holder gone.
  if (host !== undefined && host !== hostname()) return { token: id, pid, dead: false };
  return { token: id, pid, dead: processGone(pid) };
}

/** Creates `file` holding our pid and `token`; false if it exists. */
function create(file: string, token: string, label: string): boolean {
  const temp = `${file}.${token}.tmp`;
  writeNewFile(temp, lockText(token), label);
  try {
    linkSync(temp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "EEXIST") return false;
    if (!NO_LINKS.has(code)) throw e;
    try {
      writeNewFile(file, lockText(token), label);
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e2;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Removes `file` if it is still the lock with `token`. */
function removeIfOurs(file: string, token: string): void {
  if (readLock(file)?.token === token) rmSync(file, { force: true });
}

/**
 * Makes `file`, last seen held by the dead `seen`, ours. Whoever creates the marker named after
 * `seen` is the only one acting on it, so a lock still equal to `seen` stays so until replaced.
 * A marker whose own creator died is taken over the same way.
 */
function takeOver(file: string, seen: LockHolder, token: string, label: string, depth = 0): boolean {
  if (depth > 4) return false;
  const marker = `${file}.takeover-${seen.token}`;
  if (!create(marker, token, label)) {
    const other = readLock(marker);
    if (!other?.dead || !takeOver(marker, other, token, label, depth + 1)) return false;
  }
  try {
    if (readLock(file)?.token !== seen.token) return false;
    const temp = `${file}.${token}.tmp`;
    writeNewFile(temp, lockText(token), label);
    try {
      renameSync(temp, file);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
    return true;
  } finally {
    removeIfOurs(marker, token);
  }
}

/** One try: the lock is ours (true), or who holds it (undefined: it just went, try again at once). */
function attempt(lockPath: string, token: string): true | LockHolder | undefined {
  if (create(lockPath, token, lockPath)) return true;
  const seen = readLock(lockPath);
  if (!seen) return undefined;
  if (seen.dead && takeOver(lockPath, seen, token, lockPath)) return true;
  // A lost take-over means another process is on it: wait like for a live holder.
  return seen;
}

function held(lockPath: string, token: string): () => void {
  const release = () => removeIfOurs(lockPath, token);
  const unregister = onCleanup(release);
  return () => {
    release();
    unregister();
  };
}

const busy = (path: string, lockPath: string, holder: LockHolder | undefined) =>
  new DtError(ExitCode.failed, `${path} is being changed by another dt process${holder?.pid ? ` (pid ${holder.pid})` : ""} (lock ${lockPath})`, {
    hint: "wait for it to finish and run the command again",
  });

/**
 * Runs `fn` holding the lock `PATH.dt-lock`. Another live dt holding it is waited for up to
 * `waitMs`; a lock left by a dead process is taken over. The lock goes away with dt, on an
 * interrupt too.
 */
export function withFileLock<T>(path: string, fn: () => T, waitMs = 5000): T {
  const lockPath = `${path}.dt-lock`;
  const token = newToken();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = attempt(lockPath, token);
    if (got === true) break;
    if (Date.now() > deadline) throw busy(path, lockPath, got);
    if (got) Bun.sleepSync(10 + Math.random() * 20);
  }
  const release = held(lockPath, token);
  try {
    return fn();
  } finally {
    release();
  }
}

/**
 * The same for long work: waits without blocking, calling `onWait` once with the holder, for
 * up to `waitMs` (default: as long as the holder lives).
 */
export async function withFileLockAsync<T>(
  path: string,
  fn: () => Promise<T>,
  options: { waitMs?: number; onWait?: (holder: LockHolder) => void } = {},
): Promise<T> {
  const lockPath = `${path}.dt-lock`;
  const token = newToken();
  const deadline = Date.now() + (options.waitMs ?? Number.POSITIVE_INFINITY);
  let told = false;
  for (;;) {
    const got = attempt(lockPath, token);
    if (got === true) break;
    if (Date.now() > deadline) throw busy(path, lockPath, got);
    if (got) {
      if (!told) options.onWait?.(got);
      told = true;
      await Bun.sleep(50 + Math.random() * 50);
    }
  }
  const release = held(lockPath, token);
  try {
    return await fn();
  } finally {
    release();
  }
}

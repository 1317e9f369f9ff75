import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { DtError, ExitCode } from "./errors.ts";
import { onCleanup } from "./lifecycle.ts";

function holderAlive(lockPath: string): boolean {
  try {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `fn` holding an exclusive lock file next to `path` (O_EXCL create, our pid inside).
 * Another dt holding it is waited for up to `waitMs`; a lock left by a dead process is taken
 * over. The lock goes away with dt, on an interrupt too.
 */
export function withFileLock<T>(path: string, fn: () => T, waitMs = 5000): T {
  const lockPath = `${path}.dt-lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (!holderAlive(lockPath)) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new DtError(ExitCode.failed, `${path} is being changed by another dt process (lock ${lockPath})`, {
          hint: "wait for it to finish and run the command again",
        });
      }
      Bun.sleepSync(25);
    }
  }
  const release = () => rmSync(lockPath, { force: true });
  const unregister = onCleanup(release);
  try {
    return fn();
  } finally {
    release();
    unregister();
  }
}

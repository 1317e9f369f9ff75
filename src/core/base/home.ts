import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The user's home directory: HOME, else the passwd entry; undefined when there is neither (HOME
 * unset under a uid without a passwd entry: CI sandboxes, containers run with --user). Bun's
 * `os.homedir()` and `os.userInfo()` throw then (dt calls them only through here and inside a try).
 */
export function homeDir(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.HOME) return env.HOME;
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where dt keeps its caches: $XDG_CACHE_HOME, else ~/.cache. Without a home, a dir of this uid's
 * under the temp dir, never a `.cache` there that every user shares.
 */
export function cacheBase(env: Record<string, string | undefined> = process.env): string {
  if (env.XDG_CACHE_HOME) return env.XDG_CACHE_HOME;
  const home = homeDir(env);
  return home === undefined ? join(tmpdir(), `dt-${process.getuid?.() ?? 0}`, "cache") : join(home, ".cache");
}

// Values dt computes from a few files (a target dir's configuration and version), kept between
// runs in a JSON file while those files stay the same: parsing YAML cold costs more than the
// rest of `dt setenv`, and a good share of `dt docker cmd`'s own time.
import { statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { DT_VERSION } from "./dt-version.ts";
import { readText, writeFileAtomic } from "./fs-util.ts";

/**
 * What changes whenever a file does: size, mtime, ctime and inode; "-" for no file. A directory
 * counts by its existence only (a `.git` dir's mtime moves with every git command).
 */
export function stamp(path: string): string {
  try {
    const s = statSync(path);
    return s.isDirectory() ? "dir" : `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  } catch {
    return "-";
  }
}

export interface CacheSpec {
  /** The cache's folder under `$XDG_CACHE_HOME/dt/`. */
  kind: string;
  /** What the value is of (one file per id), e.g. the workspace root and the dir. */
  id: string;
  /** Every file the value is computed from. */
  inputs: readonly string[];
  /** Anything else it depends on (environment values). */
  extra?: readonly string[];
  env?: Record<string, string | undefined>;
}

/**
 * `compute()`, or its result from an earlier run while every input is unchanged and the same dt
 * binary asks (its own stamp is in the key, so a rebuilt dt never reads an older one's values).
 * A computation that throws is never cached: an invalid file is reported as usual every time.
 * A damaged or unwritable cache only costs speed.
 */
export async function throughCache<T>(spec: CacheSpec, compute: () => T | Promise<T>): Promise<T> {
  const env = spec.env ?? process.env;
  const key = [DT_VERSION, stamp(process.execPath), spec.id, ...(spec.extra ?? []), ...spec.inputs.map(stamp)].join("\0");
  const base = env.XDG_CACHE_HOME || join(homedir() || tmpdir(), ".cache");
  const file = join(base, "dt", spec.kind, `${Bun.hash(spec.id).toString(16)}.json`);
  try {
    const cached = JSON.parse(readText(file) ?? "null") as { key: string; value: T } | null;
    if (cached?.key === key) return cached.value;
  } catch {
    // A damaged cache file is a miss.
  }
  const value = await compute();
  try {
    writeFileAtomic(file, JSON.stringify({ key, value }));
  } catch {
    // An unwritable cache only costs speed.
  }
  return value;
}

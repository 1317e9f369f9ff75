// Values dt computes from a few files (a target dir's configuration and version, the summary
// of each runnable dir), kept between runs in JSON files while those files stay the same:
// parsing YAML and changelogs cold costs more than the rest of `dt setenv`, `dt version` or
// `dt ls` on a small workspace, and a good share of `dt docker cmd`'s own time.
import { statSync } from "node:fs";
import { join } from "node:path";
import { noteStamp } from "./answers.ts";
import { DT_VERSION } from "./dt-version.ts";
import { readText, writeFileAtomic } from "./fs-util.ts";
import { cacheBase } from "./home.ts";

type Env = Record<string, string | undefined>;

/**
 * What changes whenever a file does: size, mtime, ctime and inode; "-" for no file. A directory
 * counts by its existence only (a `.git` dir's mtime moves with every git command).
 */
export function stamp(path: string): string {
  noteStamp(path);
  try {
    const s = statSync(path);
    return s.isDirectory() ? "dir" : `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  } catch {
    return "-";
  }
}

/** The key of a value computed from `inputs` (files) and `extra` (anything else it depends on). */
export const keyOf = (inputs: readonly string[], extra: readonly string[] = []) => [...extra, ...inputs.map(stamp)].join("\0");

/** Written by another dt binary (or version), a cache file says nothing about this one's values. */
const binaryKey = () => `${DT_VERSION}\0${stamp(process.execPath)}`;

function cacheFile(kind: string, id: string, env: Env): string {
  // $XDG_CACHE_HOME, else ~/.cache, else (no home) a dir of this uid's under the temp dir.
  return join(cacheBase(env), "dt", kind, `${Bun.hash(id).toString(16)}.json`);
}

/** The cached value of `kind`/`id` if it was stored under `key` by this dt binary. */
export function readCache<T>(kind: string, id: string, key: string, env: Env = process.env): T | undefined {
  try {
    const cached = JSON.parse(readText(cacheFile(kind, id, env), { derived: true }) ?? "null") as { key: string; value: T } | null;
    if (cached?.key === `${binaryKey()}\0${key}`) return cached.value;
  } catch {
    // A damaged cache file is a miss.
  }
  return undefined;
}

export function writeCache(kind: string, id: string, key: string, value: unknown, env: Env = process.env): void {
  try {
    writeFileAtomic(cacheFile(kind, id, env), JSON.stringify({ key: `${binaryKey()}\0${key}`, value }), undefined, { cache: true });
  } catch {
    // An unwritable cache only costs speed.
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
  env?: Env;
}

/**
 * `compute()`, or its result from an earlier run while every input is unchanged and the same dt
 * binary asks (its own stamp is in the key, so a rebuilt dt never reads an older one's values).
 * A computation that throws is never cached: an invalid file is reported as usual every time.
 * A damaged or unwritable cache only costs speed.
 */
export async function throughCache<T>(spec: CacheSpec, compute: () => T | Promise<T>): Promise<T> {
  const env = spec.env ?? process.env;
  const key = keyOf(spec.inputs, [spec.id, ...(spec.extra ?? [])]);
  const cached = readCache<T>(spec.kind, spec.id, key, env);
  if (cached !== undefined) return cached;
  const value = await compute();
  writeCache(spec.kind, spec.id, key, value, env);
  return value;
}

/**
 * Splitting one runnable dir's test files into N shards (`dt test --shard I/N`), balanced by
 * the durations of earlier JUnit reports.
 *
 * Every shard job computes the whole split on its own and keeps its part, so the split must be
 * a pure function of (files, durations, N): the same inputs give the same shards on every
 * machine. Durations therefore have to be the same for all shard jobs of one CI run (reports
 * committed or taken from one artifact); with none at all every file counts 1 s and the split
 * is by file count, which is still consistent.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { usageError } from "../base/errors.ts";
import { isFile, readText } from "../base/fs-util.ts";
import { parseJunit } from "./junit.ts";
import { relPath } from "../workspace/workspace.ts";

/** Directories pytest users never mean to collect from (dot-dirs are skipped as well). */
const SKIP_DIRS = new Set(["__pycache__", "node_modules", ".venv", "venv"]);

/** pytest's default `python_files`: `test_*.py` and `*_test.py`. */
const isTestFile = (name: string) => name.endsWith(".py") && (name.startsWith("test_") || name.endsWith("_test.py"));

/**
 * The test files under the runnable dir `dirAbs`, as posix paths relative to the workspace
 * `root`, sorted. `exclude` holds absolute dirs not to enter: nested runnable dirs (they run
 * their own tests) and sub-repos that are not part of this dir. Symlinked dirs are not
 * followed, so a link loop cannot hang the walk.
 */
export function listTestFiles(root: string, dirAbs: string, exclude: readonly string[]): string[] {
  const skip = new Set(exclude.map((d) => d.replace(/\/+$/, "")));
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name.startsWith(".") || SKIP_DIRS.has(entry.name) || skip.has(abs)) continue;
        walk(abs);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isTestFile(entry.name)) {
        found.push(relPath(root, abs));
      }
    }
  };
  walk(dirAbs);
  return found.sort(compare);
}

/** One earlier JUnit report and the runnable dir whose pytest run wrote it. */
export interface DurationSource {
  /** Path of the JUnit XML file: absolute, or relative to the workspace root. */
  report: string;
  /**
   * The runnable dir (relative to the workspace root, "." for the root) that was pytest's
   * rootdir: pytest writes `classname` and `file` relative to it. dt runs pytest in the
   * runnable dir, whose pytest.ini makes it the rootdir.
   */
  dir: string;
}

/**
 * Seconds per test file (workspace-relative posix path) summed over the cases of earlier
 * reports. A case names its file by the `file` attribute (junit_family=xunit1) or only by its
 * dotted `classname` (xunit2, pytest's default: `tests.test_pricer` or
 * `tests.test_pricer.TestX`), which is mapped to the longest prefix that is an existing `.py`
 * file under the dir. Missing or unreadable reports and cases that map to no file are ignored:
 * durations only steer the balance, they never decide what runs.
 */
export function readDurations(sources: readonly DurationSource[], root: string): Map<string, number> {
  const durations = new Map<string, number>();
  const resolver = classFileResolver(root);
  for (const source of sources) {
    const xml = readText(source.report.startsWith("/") ? source.report : join(root, source.report));
    if (xml === undefined) continue;
    for (const suite of parseJunit(xml)) {
      for (const c of suite.cases) {
        const file = (c.file && resolver.file(source.dir, c.file)) || resolver.classname(source.dir, c.classname);
        if (!file || !Number.isFinite(c.time) || c.time < 0) continue;
        durations.set(file, (durations.get(file) ?? 0) + c.time);
      }
    }
  }
  return durations;
}

/**
 * Maps pytest's names of a test to its file, relative to the workspace root; the existence
 * checks are cached, since every case of a file asks the same question.
 */
function classFileResolver(root: string) {
  const seen = new Map<string, boolean>();
  const existing = (rel: string) => {
    let known = seen.get(rel);
    if (known === undefined) seen.set(rel, (known = isFile(join(root, rel))));
    return known;
  };
  const under = (dir: string, path: string) => (dir === "." || dir === "" ? path : `${dir}/${path}`);
  return {
    /** A `file` attribute, relative to the dir (pytest) or already to the workspace root. */
    file(dir: string, file: string): string | null {
      const clean = file.replaceAll("\\", "/").replace(/^\.\//, "");
      if (existing(under(dir, clean))) return under(dir, clean);
      return existing(clean) ? clean : null;
    },
    /** A dotted classname: the longest prefix that names an existing `.py` file. */
    classname(dir: string, classname: string): string | null {
      const parts = classname.split(".").filter((p) => p !== "");
      for (let n = parts.length; n >= 1; n--) {
        const candidate = under(dir, `${parts.slice(0, n).join("/")}.py`);
        if (existing(candidate)) return candidate;
      }
      return null;
    },
  };
}

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

/** `"2/3"` -> `{ index: 2, total: 3 }`; anything else is a usage error. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const hint = "give --shard I/N with 1 <= I <= N, e.g. --shard 1/3";
  if (!m) throw usageError(`invalid shard '${text}': expected I/N`, { hint });
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (!Number.isSafeInteger(total)) throw usageError(`invalid shard '${text}': N is too large`, { hint });
  if (total < 1) throw usageError(`invalid shard '${text}': N must be at least 1`, { hint });
  if (index < 1 || index > total) throw usageError(`invalid shard '${text}': I must be between 1 and ${total}`, { hint });
  return { index, total };
}

/**
 * All `total` shards, each a sorted list of files: longest processing time first. Files are
 * taken by duration (longest first, then path) and each goes to the least-loaded shard; on a
 * tie, the one with fewer files (so files of 0 s still spread), then the lowest index. A file without a duration counts the median of the known ones (1 s if
 * none is known). Every file lands in exactly one shard; a shard may be empty when there are
 * fewer files than shards.
 */
export function planShards(files: readonly string[], durations: ReadonlyMap<string, number>, total: number): string[][] {
  const planned = plannedShards(files, durations, total);
  return [...planned, ...Array.from({ length: total - planned.length }, () => [])];
}

/** The first shards of `planShards`: those that can hold a file (the rest are empty). */
function plannedShards(files: readonly string[], durations: ReadonlyMap<string, number>, total: number): string[][] {
  if (!Number.isSafeInteger(total) || total < 1) throw usageError(`invalid number of shards: ${total}`, { hint: "use a whole number of at least 1" });
  const unique = [...new Set(files)];
  const fallback = median(unique.flatMap((f) => (durations.has(f) ? [durations.get(f)!] : []))) ?? 1;
  const weighted = unique
    .map((file) => ({ file, seconds: durations.get(file) ?? fallback }))
    .sort((a, b) => b.seconds - a.seconds || compare(a.file, b.file));
  // Beyond one shard per file the rest stay empty (each file already gets a shard of its own),
  // so only that many are kept: `--shard 1/100000000000` must not allocate them all.
  const kept = Math.min(total, Math.max(unique.length, 1));
  const shards = Array.from({ length: kept }, () => ({ load: 0, files: [] as string[] }));
  for (const { file, seconds } of weighted) {
    let best = shards[0]!;
    for (const shard of shards) {
      if (shard.load < best.load || (shard.load === best.load && shard.files.length < best.files.length)) best = shard;
    }
    best.load += seconds;
    best.files.push(file);
  }
  return shards.map((s) => s.files.sort(compare));
}

/** The files of shard `index` (1-based) of `total`, sorted (see `planShards`). */
export function assignShard(files: readonly string[], durations: ReadonlyMap<string, number>, index: number, total: number): string[] {
  if (!Number.isInteger(index) || index < 1 || index > total) {
    throw usageError(`invalid shard ${index}/${total}: I must be between 1 and ${total}`, { hint: "give --shard I/N with 1 <= I <= N" });
  }
  return plannedShards(files, durations, total)[index - 1] ?? [];
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Code-unit order, the same under every locale. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

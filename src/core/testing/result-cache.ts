// The local test-result cache under `.dt/cache/test/`: one file per passing result, named by
// its key; per dir, the inputs of its last cached run; per scope digest, the files it held
// (both for --explain). Every write is a temp file renamed into place, so a reader (another
// dt test, an interrupted one) sees a whole entry or none. Bounded: past the size limit the
// entries used longest ago go first (a hit counts as a use).
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../base/fs-util.ts";
import { checkStateDir, stateDir } from "../workspace/state-dir.ts";
import type { RecordedInputs } from "./cache-key.ts";
import type { Counts, TestCase } from "./junit.ts";
import { reportSlug } from "./select-dirs.ts";

/** A passing run as the cache keeps it (locally, and as the config blob of a registry entry). */
export interface CachedResult {
  version: 1;
  key: string;
  dir: string;
  status: "passed" | "no-tests";
  exitCode: number;
  counts: Counts;
  cases: TestCase[];
  seconds: number;
  /** When the run ended (ISO 8601). */
  at: string;
  image: string;
  stage: string;
  dt: string;
  /** The tail of pytest's output; kept locally only (a test may print what it should not share). */
  output?: string;
}

/** Is `value` an entry this dt wrote for `key`? Anything else (cut, foreign, older) is a miss. */
export function isCachedResult(value: unknown, key: string): value is CachedResult {
  const v = value as Partial<CachedResult> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    v.version === 1 &&
    v.key === key &&
    (v.status === "passed" || v.status === "no-tests") &&
    typeof v.dir === "string" &&
    typeof v.at === "string" &&
    typeof v.seconds === "number" &&
    Array.isArray(v.cases) &&
    typeof v.counts === "object" &&
    v.counts !== null
  );
}

/** A temp file left by a writer that died is garbage once older than this. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const PARTS = ["cache", "test"];
type Part = "results" | "scopes" | "dirs";

export class LocalResultCache {
  readonly dir: string;

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
  ) {
    this.dir = join(root, ".dt", ...PARTS);
    // A linked .dt/ (or a part below it) could hand dt planted passes, or take its writes
    // elsewhere: refused, as for every other state dt keeps there.
    for (const part of ["results", "scopes", "dirs"]) checkStateDir(root, ...PARTS, part);
  }

  private resultPath = (key: string) => join(this.dir, "results", `${key}.json`);
  private scopePath = (digest: string) => join(this.dir, "scopes", `${digest}.json`);
  private dirPath = (dir: string) => join(this.dir, "dirs", `${reportSlug(dir)}.json`);

  /** Writes `name` under `part`, made (and checked) the way all of dt's state is. */
  private write(part: Part, name: string, text: string): void {
    writeFileAtomic(join(stateDir(this.root, ...PARTS, part), name), text);
  }

  get(key: string): CachedResult | undefined {
    const path = this.resultPath(key);
    const value = readJson(path);
    if (value === undefined) return undefined;
    if (!isCachedResult(value, key)) {
      rmSync(path, { force: true });
      return undefined;
    }
    touch(path);
    return value;
  }

  put(result: CachedResult): void {
    this.write("results", `${result.key}.json`, JSON.stringify(result));
  }

  /** Drops the entry of `key`: the same inputs just failed (a flaky test), so its pass proves nothing. */
  remove(key: string): void {
    rmSync(this.resultPath(key), { force: true });
  }

  /** The inputs of `dir`'s last cached run. */
  lastInputs(dir: string): RecordedInputs | undefined {
    const value = readJson(this.dirPath(dir)) as RecordedInputs | null | undefined;
    return value && typeof value.key === "string" && typeof value.inputs === "object" && value.inputs !== null ? value : undefined;
  }

  /** Records `dir`'s inputs with the file lists of its scopes (written once per digest). */
  recordInputs(dir: string, recorded: RecordedInputs, scopeFiles: (digest: string) => [string, string][]): void {
    if (this.lastInputs(dir)?.key === recorded.key) return;
    for (const [name, digest] of Object.entries(recorded.inputs)) {
      if (!name.startsWith("scope ")) continue;
      const path = this.scopePath(digest);
      if (!touch(path)) this.write("scopes", `${digest}.json`, JSON.stringify(scopeFiles(digest)));
    }
    this.write("dirs", `${reportSlug(dir)}.json`, JSON.stringify(recorded));
  }

  /** The files of a scope digest, if still kept. */
  scopeFiles(digest: string): [string, string][] | undefined {
    const value = readJson(this.scopePath(digest));
    return Array.isArray(value) ? (value as [string, string][]) : undefined;
  }

  /**
   * Removes the entries used longest ago until results and scope lists fit in the limit, and
   * temp files of writers that died. The per-dir records stay: one small file per dir.
   */
  evict(now = Date.now()): { removed: number; bytes: number } {
    const files: { path: string; size: number; used: number }[] = [];
    for (const sub of ["results", "scopes", "dirs"]) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, sub));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(this.dir, sub, name);
        let stats;
        try {
          stats = statSync(path);
        } catch {
          continue; // another dt evicted it meanwhile
        }
        if (name.startsWith(".") && name.endsWith(".tmp")) {
          if (now - stats.mtimeMs > STALE_TEMP_MS) rmSync(path, { force: true });
          continue;
        }
        if (sub !== "dirs") files.push({ path, size: stats.size, used: stats.mtimeMs });
      }
    }
    let bytes = files.reduce((sum, f) => sum + f.size, 0);
    let removed = 0;
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (bytes <= this.maxBytes) break;
      rmSync(f.path, { force: true });
      bytes -= f.size;
      removed++;
    }
    return { removed, bytes };
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Marks a use (the mtime orders eviction); false when the file is not there. */
function touch(path: string): boolean {
  try {
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  } catch {
    return false;
  }
}

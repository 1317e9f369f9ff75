// The local test-result cache: entries by key, the size limit (the longest unused go first),
// and atomic writes (a reader never sees half an entry, even with writers in other processes).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalResultCache, type CachedResult } from "../../../../src/core/testing/result-cache.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const KEY = (n: number) => n.toString(16).padStart(64, "0");

function result(key: string, padding = 0): CachedResult {
  return {
    version: 1,
    key,
    dir: "apps/a",
    status: "passed",
    exitCode: 0,
    counts: { passed: 1, failed: 0, skipped: 0, errors: 0, total: 1 },
    cases: [{ classname: "tests.test_a", name: "test_a", file: "tests/test_a.py", line: 0, time: 0.01, status: "passed", message: "", details: "" }],
    seconds: 1.5,
    at: "2026-12-01T10:00:00.000Z",
    image: "a:local-x-1.0.0",
    stage: "local",
    dt: "0.1.0",
    output: "x".repeat(padding),
  };
}

/** Sets a file's use time, `minutes` ago. */
const usedAgo = (path: string, minutes: number) => {
  const t = new Date(Date.now() - minutes * 60_000);
  utimesSync(path, t, t);
};

describe("LocalResultCache", () => {
  test("a stored result comes back by its key; another key is a miss", () => {
    const cache = new LocalResultCache(testdir().path, 1e6);
    cache.put(result(KEY(1)));
    expect(cache.get(KEY(1))).toEqual(result(KEY(1)));
    expect(cache.get(KEY(2))).toBeUndefined();
  });

  test("an entry that is cut, not JSON, or written for another key is a miss and is removed", () => {
    const root = testdir().path;
    const cache = new LocalResultCache(root, 1e6);
    cache.put(result(KEY(1)));
    const path = join(cache.dir, "results", `${KEY(1)}.json`);
    for (const text of ['{"version":1,"key":', "not json", JSON.stringify(result(KEY(9))), JSON.stringify({ ...result(KEY(1)), status: "failed" })]) {
      writeFileSync(path, text);
      expect(cache.get(KEY(1))).toBeUndefined();
      expect(existsSync(path)).toBe(false);
    }
  });

  test("over the size limit, the entries used longest ago go first; a hit counts as a use", () => {
    const cache = new LocalResultCache(testdir().path, 5000);
    for (let n = 1; n <= 4; n++) cache.put(result(KEY(n), 1500));
    const path = (n: number) => join(cache.dir, "results", `${KEY(n)}.json`);
    for (let n = 1; n <= 4; n++) usedAgo(path(n), 100 - n);
    // Entry 1 is the oldest written, but the most recently used.
    expect(cache.get(KEY(1))).toBeDefined();
    const { removed, bytes } = cache.evict();
    expect(removed).toBe(2);
    expect(bytes).toBeLessThanOrEqual(5000);
    expect([1, 2, 3, 4].filter((n) => existsSync(path(n)))).toEqual([1, 4]);
  });

  test("a temp file of a writer that died is no entry, and is removed once stale", () => {
    const cache = new LocalResultCache(testdir().path, 1e6);
    cache.put(result(KEY(1)));
    const results = join(cache.dir, "results");
    const temp = join(results, `.${KEY(2)}.json.dt-999-1.tmp`);
    writeFileSync(temp, '{"version":1,"key":"');
    expect(cache.get(KEY(2))).toBeUndefined();
    cache.evict();
    expect(existsSync(temp)).toBe(true);
    usedAgo(temp, 120);
    cache.evict();
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(results)).toEqual([`${KEY(1)}.json`]);
  });

  test("atomic: an entry is replaced by a rename, never rewritten in place, so a reader keeps a whole one", () => {
    const cache = new LocalResultCache(testdir().path, 1e9);
    cache.put(result(KEY(7)));
    const path = join(cache.dir, "results", `${KEY(7)}.json`);
    // A second name for the entry's inode: what a reader that opened it before the write holds.
    const reader = `${path}.reader`;
    linkSync(path, reader);
    cache.put(result(KEY(7), 100_000));
    expect(JSON.parse(readFileSync(reader, "utf8"))).toEqual(result(KEY(7)));
    expect(cache.get(KEY(7))?.output?.length).toBe(100_000);
    expect(statSync(path).ino).not.toBe(statSync(reader).ino);
  });

  test("atomic: a writer stopped half-way (a file size limit) leaves the entry as it was", async () => {
    const root = testdir().path;
    const cache = new LocalResultCache(root, 1e9);
    cache.put(result(KEY(8)));
    const module = join(import.meta.dir, "../../../../src/core/testing/result-cache.ts");
    const script = `const { LocalResultCache } = await import(${JSON.stringify(module)});
      const entry = { ...JSON.parse(process.argv[1]), output: "x".repeat(4_000_000) };
      new LocalResultCache(${JSON.stringify(root)}, 1e9).put(entry);`;
    // 2048 blocks (1-2 MB, by the shell's unit): the 4 MB entry cannot be written whole.
    const writer = Bun.spawn(["sh", "-c", 'ulimit -f 2048 && exec "$0" -e "$1" "$2"', process.execPath, script, JSON.stringify(result(KEY(8)))], {
      stdout: "ignore",
      stderr: "ignore",
    });
    expect(await writer.exited).not.toBe(0);
    expect(cache.get(KEY(8))).toEqual(result(KEY(8)));
  });

  test("a .dt/cache that is a symlink is refused (exit 2) before anything is read or written", () => {
    const root = testdir().path;
    const elsewhere = testdir().path;
    new LocalResultCache(elsewhere, 1e6).put(result(KEY(5)));
    mkdirSync(join(root, ".dt"));
    symlinkSync(join(elsewhere, ".dt", "cache"), join(root, ".dt", "cache"));
    expect(dtErrorOf(() => new LocalResultCache(root, 1e6))).toMatchObject({ exitCode: 2, message: expect.stringContaining("is a symlink") });
  });

  test("a dir's recorded inputs and its scopes' file lists come back", () => {
    const cache = new LocalResultCache(testdir().path, 1e6);
    const files: [string, string][] = [["apps/a/x.py", "-abc"]];
    cache.recordInputs("apps/a", { key: KEY(3), at: "t", inputs: { "scope apps/a": "d1", suite: "fast" } }, () => files);
    expect(cache.lastInputs("apps/a")).toEqual({ key: KEY(3), at: "t", inputs: { "scope apps/a": "d1", suite: "fast" } });
    expect(cache.scopeFiles("d1")).toEqual(files);
    expect(cache.lastInputs("apps/b")).toBeUndefined();
  });
});

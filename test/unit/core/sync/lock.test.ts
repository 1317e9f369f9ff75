import { describe, expect, test } from "bun:test";
import { DtError } from "../../../../src/core/base/errors.ts";
import { formatLock, parseLock } from "../../../../src/core/sync/lock.ts";

describe("the lock", () => {
  const lock = {
    from: "helpers_root",
    commit: "0123456789012345678901234567890123456789",
    dirty: false,
    files: {
      "z.txt": { sha256: "1".repeat(64), executable: false },
      ".github/workflows/dt.yml": { sha256: "e".repeat(64), executable: true },
      "a b.ini": { sha256: "f".repeat(64), executable: false },
    },
  };

  test("is sorted, commented and round-trips", () => {
    const text = formatLock(lock);
    expect(text.startsWith("# ")).toBe(true);
    const paths = [...text.matchAll(/^ {2}(\S.*):$/gm)].map((m) => m[1]);
    expect(paths).toEqual([".github/workflows/dt.yml", "a b.ini", "z.txt"]);
    expect(parseLock(text)).toEqual(lock);
    // Key order of the input does not matter.
    const shuffled = { ...lock, files: Object.fromEntries(Object.entries(lock.files).reverse()) };
    expect(formatLock(shuffled)).toBe(text);
    expect(text).not.toContain("dirty");
    expect(formatLock({ ...lock, dirty: true })).toContain("dirty: true");
  });

  test("a damaged lock is a usage error with its line and the fix", () => {
    expect(() => parseLock("version: 1\nfiles:\n  x: {sha256: nope, executable: false}\n")).toThrow(/files\.x: expected sha256/);
    let error: unknown;
    try {
      parseLock("version: 2\n");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtError);
    expect((error as DtError).exitCode).toBe(2);
    expect((error as DtError).where).toBe(".dt/sync.lock:1");
    expect((error as DtError).hint).toContain("git checkout -- .dt/sync.lock");
  });
});

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
    links: {},
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

  // A lock exactly as formatLock wrote it before links existed (at commit 4f45c42).
  const OLD_LOCK = `# Written by 'dt sync'; commit it, do not edit it.
# What dt sync last copied from the source sub-repo: its commit, and each file's hash and mode
# as written here. A file that no longer matches was changed here, and dt sync keeps it.
version: 1
from: "helpers_root"
commit: "0123456789abcdef0123456789abcdef01234567"
files:
  dev_scripts/lint.sh:
    sha256: "${"b".repeat(64)}"
    executable: true
  pytest.ini:
    sha256: "${"a".repeat(64)}"
    executable: false
`;

  test("an old lock (no links) is read, and written back byte for byte", () => {
    const parsed = parseLock(OLD_LOCK);
    expect(parsed).toEqual({
      from: "helpers_root",
      commit: "0123456789abcdef0123456789abcdef01234567",
      dirty: false,
      files: { "dev_scripts/lint.sh": { sha256: "b".repeat(64), executable: true }, "pytest.ini": { sha256: "a".repeat(64), executable: false } },
      links: {},
    });
    expect(formatLock(parsed)).toBe(OLD_LOCK);
  });

  test("links are kept by their text, sorted, and round-trip beside files", () => {
    const links = {
      "apps/b/devops/docker_build/dev.Dockerfile": "../../../../helpers_root/devops/docker_build/dev.Dockerfile",
      "apps/a/devops/docker_build/dev.Dockerfile": "../../../../helpers_root/devops/docker_build/dev.Dockerfile",
    };
    const text = formatLock({ ...lock, links });
    expect(text).toContain('links:\n  apps/a/devops/docker_build/dev.Dockerfile: "../../../../helpers_root/devops/docker_build/dev.Dockerfile"\n  apps/b/');
    expect(text.indexOf("\nlinks:")).toBeGreaterThan(text.indexOf("\nfiles:"));
    expect(parseLock(text)).toEqual({ ...lock, links });
    // Without links the key is not written at all.
    expect(formatLock(lock)).not.toContain("links");
    expect(() => parseLock("version: 1\nlinks:\n  a: 3\n")).toThrow(/links\.a: expected the link's text/);
    expect(() => parseLock("version: 1\nlinks: [a]\n")).toThrow(/links: expected a mapping/);
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

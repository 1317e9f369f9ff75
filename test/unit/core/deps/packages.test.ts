import { describe, expect, test } from "bun:test";
import { diffLines, diffPackages, isEmptyDiff, packagesFrom } from "../../../../src/core/deps/packages.ts";
import { lockedPackages } from "../../../../src/core/deps/lock.ts";

describe("package diffs", () => {
  test("names are compared as PEP 503 has them; moved, added and removed are one line each, by name", () => {
    const before = packagesFrom([
      { name: "Foo_Bar", version: "1.0.0" },
      { name: "numpy", version: "1.26.4" },
      { name: "six", version: "1.16.0" },
    ]);
    const after = packagesFrom([
      { name: "foo-bar", version: "1.1.0" },
      { name: "numpy", version: "1.26.4" },
      { name: "attrs", version: "23.1.0" },
    ]);
    const diff = diffPackages(before, after);
    expect(diff).toEqual({
      changed: [{ name: "foo-bar", from: "1.0.0", to: "1.1.0" }],
      added: [{ name: "attrs", version: "23.1.0" }],
      removed: [{ name: "six", version: "1.16.0" }],
    });
    expect(diffLines(diff)).toEqual(["attrs: added (23.1.0)", "foo-bar: 1.0.0 -> 1.1.0", "six: removed (1.16.0)"]);
    expect(isEmptyDiff(diffPackages(after, after))).toBe(true);
  });

  test("a name locked twice (per-marker versions) keeps both versions", () => {
    expect(packagesFrom([{ name: "numpy", version: "2.0.0" }, { name: "numpy", version: "1.26.4" }]).get("numpy")).toBe("1.26.4, 2.0.0");
  });

  test("the packages of a poetry.lock; none without one", () => {
    const lock = [
      "[[package]]",
      'name = "dtdemo-alpha"',
      'version = "1.0.0"',
      "",
      "[[package]]",
      'name = "DtDemo.Beta"',
      'version = "2.1"',
      "",
      "[metadata]",
      'content-hash = "abc"',
      "",
    ].join("\n");
    expect([...lockedPackages(lock, "poetry.lock")]).toEqual([
      ["dtdemo-alpha", "1.0.0"],
      ["dtdemo-beta", "2.1"],
    ]);
    expect(lockedPackages(undefined, "poetry.lock").size).toBe(0);
  });
});

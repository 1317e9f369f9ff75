import { describe, expect, test } from "bun:test";
import { didYouMean, editDistance, suggestion } from "../../../../src/core/base/did-you-mean.ts";
import { rng } from "../../fuzz.ts";

describe("editDistance", () => {
  test.each([
    ["", "", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["image", "image", 0],
    ["imag", "image", 1],
    ["image", "imgae", 2],
    ["kitten", "sitting", 3],
    ["flaw", "lawn", 2],
    ["sibbling", "sibling", 1],
    ["platform", "platforms", 1],
    ["abc", "xyz", 3],
    ["é", "e", 1],
  ] as const)("%p vs %p = %p", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  test("is case-sensitive on its own (didYouMean lowercases)", () => {
    expect(editDistance("Image", "image")).toBe(1);
  });

  test("metric properties on random strings: symmetry, identity, triangle inequality, bounds", () => {
    const r = rng(42);
    const word = () => Array.from({ length: r.int(9) }, () => "abcde-_"[r.int(7)]).join("");
    for (let i = 0; i < 500; i++) {
      const [a, b, c] = [word(), word(), word()];
      const ab = editDistance(a, b);
      expect(editDistance(b, a)).toBe(ab);
      expect(editDistance(a, a)).toBe(0);
      expect(ab === 0).toBe(a === b);
      expect(ab).toBeLessThanOrEqual(editDistance(a, c) + editDistance(c, b));
      expect(ab).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      expect(ab).toBeLessThanOrEqual(Math.max(a.length, b.length));
    }
  });
});

describe("didYouMean", () => {
  const keys = ["name", "image", "registry", "registries", "platforms", "builders", "base_image", "version_policy", "docker", "test"];

  test("finds the plausible typo", () => {
    expect(didYouMean("imag", keys)).toBe("image");
    expect(didYouMean("registy", keys)).toBe("registry");
    expect(didYouMean("registrys", keys)).toBe("registry");
    expect(didYouMean("platform", keys)).toBe("platforms");
    expect(didYouMean("versionpolicy", keys)).toBe("version_policy");
    expect(didYouMean("baseimage", keys)).toBe("base_image");
    expect(didYouMean("dokcer", keys)).toBe("docker");
  });

  test("compares case-insensitively and returns the candidate as spelled", () => {
    expect(didYouMean("IMAGE", keys)).toBe("image");
    expect(didYouMean("image", ["Image"])).toBe("Image");
  });

  test("says nothing when nothing is close", () => {
    expect(didYouMean("zzzzzzzz", keys)).toBeUndefined();
    expect(didYouMean("kubernetes", keys)).toBeUndefined();
    expect(didYouMean("anything", [])).toBeUndefined();
  });

  test("the limit grows with the input: 1 up to two letters, else max(2, length / 3)", () => {
    expect(didYouMean("ab", ["abc"])).toBe("abc"); // distance 1, limit 1
    expect(didYouMean("ab", ["abcd"])).toBeUndefined(); // distance 2
    expect(didYouMean("abc", ["abcde"])).toBe("abcde"); // distance 2, limit 2
    expect(didYouMean("abcdefghi", ["abcdefxyz"])).toBe("abcdefxyz"); // distance 3, limit 3
    expect(didYouMean("abcdefghi", ["abcdewxyz"])).toBeUndefined(); // distance 4
  });

  test("the closest wins; on a tie, the first candidate", () => {
    expect(didYouMean("stag", ["stage", "stages"])).toBe("stage");
    expect(didYouMean("stages", ["stage", "stagey"])).toBe("stage");
    expect(didYouMean("cat", ["bat", "cab"])).toBe("bat");
    expect(didYouMean("cat", ["cab", "bat"])).toBe("cab");
  });

  test("accepts any iterable", () => {
    expect(didYouMean("imag", new Set(keys))).toBe("image");
    expect(didYouMean("imag", new Map(keys.map((k) => [k, 1])).keys())).toBe("image");
  });
});

describe("suggestion", () => {
  test("a sentence to append to a message, or nothing", () => {
    expect(suggestion("imag", ["image"])).toBe(" Did you mean 'image'?");
    expect(suggestion("stgae", ["stage"], "--")).toBe(" Did you mean '--stage'?");
    expect(suggestion("zzzzzz", ["image"])).toBe("");
  });
});

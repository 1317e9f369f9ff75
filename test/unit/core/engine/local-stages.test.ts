import { describe, expect, test } from "bun:test";
import { localKey, stagesIn } from "../../../../src/core/engine/local-stages.ts";

describe("stagesIn", () => {
  const tags = new Set(["reg.example/app:dev-1.2.0", "app:prod-1.2.0", "reg.example/app:prod-1.1.0", "reg.example/app:local-ann-1234abcd-1.2.0"]);
  const local = new Set([localKey("/a/orders", "apps/app", "1.2.0")]);
  const dir = (registry: string | null, version: string | null) => ({ path: "apps/app", image: "app", registry, version });

  test("local by the labels of this workspace's images; dev and prod by their versioned tags with the registry prefix", () => {
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", "1.2.0"))).toEqual({ local: true, dev: true, prod: false });
    expect(stagesIn({ tags, local }, "/a/orders", dir(null, "1.2.0"))).toEqual({ local: true, dev: false, prod: true });
  });

  test("another checkout's local image is not this one's, whatever its tag", () => {
    expect(stagesIn({ tags, local }, "/b/orders", dir("reg.example", "1.2.0"))).toEqual({ local: false, dev: true, prod: false });
  });

  test("an older version's image is not the current one; no version or no engine means unknown", () => {
    expect(stagesIn({ tags: null, local: null }, "/a/orders", dir("reg.example", "1.2.0"))).toBeNull();
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", "1.1.1"))).toEqual({ local: false, dev: false, prod: false });
    expect(stagesIn({ tags, local }, "/a/orders", dir("reg.example", null))).toBeNull();
  });
});

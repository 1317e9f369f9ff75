import { describe, expect, test } from "bun:test";
import { stagesIn } from "../../../../src/core/engine/local-stages.ts";

describe("stagesIn", () => {
  const tags = new Set(["reg.example/app:dev-1.2.0", "reg.example/app:local-ann-1.2.0", "app:prod-1.2.0", "reg.example/app:prod-1.1.0"]);

  test("names each stage's versioned tag with the registry prefix and the user", () => {
    expect(stagesIn(tags, { image: "app", registry: "reg.example", version: "1.2.0" }, "ann")).toEqual({ local: true, dev: true, prod: false });
    expect(stagesIn(tags, { image: "app", registry: null, version: "1.2.0" }, "ann")).toEqual({ local: false, dev: false, prod: true });
  });

  test("an older version's image is not the current one; no version or no engine means unknown", () => {
    expect(stagesIn(null, { image: "app", registry: "reg.example", version: "1.2.0" })).toBeNull();
    expect(stagesIn(tags, { image: "app", registry: "reg.example", version: "1.1.1" })).toEqual({ local: false, dev: false, prod: false });
    expect(stagesIn(tags, { image: "app", registry: "reg.example", version: null })).toBeNull();
  });
});

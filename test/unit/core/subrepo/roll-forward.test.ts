import { describe, expect, test } from "bun:test";
import { rollForwardMessage, type Move } from "../../../../src/core/subrepo/roll-forward.ts";

describe("rollForwardMessage", () => {
  const move = (path: string, parent: string, commits: Move["commits"], more = 0): Move => ({
    path,
    parent,
    old: "a".repeat(40),
    new: "b".repeat(40),
    commits,
    more,
  });

  test("subject, then each move outermost first with the subjects of its new commits", () => {
    const text = rollForwardMessage("Roll forward sub-repos", [
      move("helpers_root/vendor/core", "helpers_root", [{ hash: `c${"1".repeat(39)}`, subject: "Add mean()" }]),
      move("helpers_root", ".", [{ hash: `d${"2".repeat(39)}`, subject: "Roll forward sub-repos" }], 3),
    ]);
    expect(text).toBe(
      [
        "Roll forward sub-repos",
        "",
        "helpers_root: aaaaaaa -> bbbbbbb",
        "  d222222 Roll forward sub-repos",
        "  ... and 3 more",
        "helpers_root/vendor/core: aaaaaaa -> bbbbbbb",
        "  c111111 Add mean()",
        "",
      ].join("\n"),
    );
  });

  test("paths relative to the committing repo; a move back and an unknown old commit say so", () => {
    const text = rollForwardMessage("Bump", [move("libs/shared/vendor/core", "libs/shared", []), move("libs/shared/vendor/x", "libs/shared", null)], "libs/shared");
    expect(text).toContain("vendor/core: aaaaaaa -> bbbbbbb\n  (moved back: no new commits)");
    expect(text).toContain("vendor/x: aaaaaaa -> bbbbbbb\n  (aaaaaaa is not in the local clone; no log)");
  });
});

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { listSubRepos } from "../../../../src/core/subrepo/ls.ts";
import { cleanupAll, git, makeWorkspace } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("listSubRepos", () => {
  test("state of each sub-repo at every depth, from any dir of the workspace", async () => {
    const ws = makeWorkspace({ runnables: 0 });
    const { root, subRepos } = await listSubRepos(join(ws.root, "libs/shared/src"));
    expect(root).toBe(ws.root);
    expect(subRepos.map((s) => [s.path, s.initialised, s.ahead, s.behind, s.dirty])).toEqual([
      ["libs/shared", true, 0, 0, false],
      ["libs/shared/vendor/core", true, 0, 0, false],
      ["libs/shared/vendor/core/vendor/level3", true, 0, 0, false],
      ["libs/optional", false, null, null, null],
    ]);
    expect(subRepos[2]!.commit).toBe(git(ws.subRepos[2]!.path, ["rev-parse", "HEAD"]));
  });
});

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { DtError } from "../../../../src/core/base/errors.ts";
import { checkEntry, resolveReal } from "../../../../src/core/sync/entries.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("checkEntry: paths of sync.files", () => {
  const tree = testdir({ "ws/sub/pytest.ini": "x\n", "ws/sub/lib/a.txt": "a\n", "ws/other/readme": "", "outside/secret": "s\n" }).path;
  const root = join(tree, "ws");
  mkdirSync(join(root, "dir"));
  symlinkSync(join(tree, "outside"), join(root, "escape"));
  symlinkSync(join(root, "dir"), join(root, "inner"));
  symlinkSync(join(tree, "outside", "new"), join(root, "dangling"));
  symlinkSync(join(tree, "outside", "secret"), join(root, "sub", "leak"));
  symlinkSync("../sub", join(root, "other", "up"));
  const ctx = {
    root,
    from: "sub",
    fromReal: join(root, "sub"),
    subRepos: [{ path: "sub" }, { path: "other" }] as never,
    where: (i: number) => `dt.yaml:${i + 10}:5`,
  };
  const refused = (raw: string) => {
    const r = checkEntry(raw, 3, ctx);
    expect(r).toBeInstanceOf(DtError);
    const e = r as DtError;
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe("dt.yaml:13:5");
    expect(e.message).toContain(`sync.files[3] ${JSON.stringify(raw)}`);
    return e.message;
  };

  test("plain relative paths are accepted and normalised", () => {
    expect(checkEntry("./pytest.ini", 0, ctx)).toMatchObject({ path: "pytest.ini", target: join(root, "pytest.ini"), source: join(root, "sub", "pytest.ini") });
    expect(checkEntry("lib//a.txt", 0, ctx)).toMatchObject({ path: "lib/a.txt" });
  });

  test("absolute paths, '..', .git and .dt are refused", () => {
    expect(refused("/etc/passwd")).toContain("absolute");
    expect(refused("../x")).toContain("'..'");
    expect(refused("a/../../x")).toContain("'..'");
    expect(refused(".git/hooks/pre-commit")).toContain(".git");
    expect(refused(".dt/sync.lock")).toContain(".dt/");
    expect(refused("")).toContain("not a file path");
  });

  test("a symlink here that leaves the workspace is refused, as a parent or as the file", () => {
    expect(refused("escape/secret")).toContain("outside the workspace");
    expect(refused("escape/new-file")).toContain("outside the workspace");
    expect(refused("dangling")).toContain("outside the workspace");
  });

  test("a symlink that stays inside is followed", () => {
    expect(checkEntry("inner/f", 0, ctx)).toMatchObject({ path: "inner/f", target: join(root, "dir", "f") });
  });

  test("writing into a sub-repo, directly or through a symlink, is refused", () => {
    expect(refused("sub/pytest.ini")).toContain("sub-repo sub");
    expect(refused("other/up/pytest.ini")).toContain("sub-repo");
  });

  test("a source that resolves outside the source sub-repo is refused", () => {
    expect(refused("leak")).toContain("outside the sub-repo sub");
  });

  test("resolveReal follows dangling links and keeps the missing rest literally", () => {
    expect(resolveReal(join(root, "dangling"))).toBe(join(tree, "outside", "new"));
    expect(resolveReal(join(root, "inner", "a", "b"))).toBe(join(root, "dir", "a", "b"));
  });
});

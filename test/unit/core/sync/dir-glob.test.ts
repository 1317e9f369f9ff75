import { afterAll, describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { expandDirGlob, globProblem } from "../../../../src/core/sync/dir-glob.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("destination globs", () => {
  const root = testdir({
    "apps/a/devops/docker_build/": "",
    "apps/b/devops/docker_build/": "",
    "apps/c/devops/": "",
    "apps/d/devops/docker_build": "a file, not a dir",
    "apps/.hidden/devops/docker_build/": "",
    "apps/nested/deep/devops/docker_build/": "",
    "app_x/devops/docker_build/": "",
    "helpers_root/devops/docker_build/": "",
    "elsewhere/devops/docker_build/": "",
  }).path;
  symlinkSync(join(root, "elsewhere"), join(root, "apps", "linked"));
  const none = () => false;
  const split = (p: string) => p.split("/");

  test("'*' matches one existing directory name, never a dot-dir, a file or a symlinked dir", () => {
    expect(expandDirGlob(root, split("apps/*/devops/docker_build"), none)).toEqual(["apps/a/devops/docker_build", "apps/b/devops/docker_build"]);
    expect(expandDirGlob(root, split("app*/devops"), none)).toEqual(["app_x/devops"]);
    expect(expandDirGlob(root, split("apps/.*/devops"), none)).toEqual(["apps/.hidden/devops"]);
  });

  test("'**' matches zero or more directories", () => {
    expect(expandDirGlob(root, split("**/devops/docker_build"), none)).toEqual([
      "app_x/devops/docker_build",
      "apps/a/devops/docker_build",
      "apps/b/devops/docker_build",
      "apps/nested/deep/devops/docker_build",
      "elsewhere/devops/docker_build",
      "helpers_root/devops/docker_build",
    ]);
    expect(expandDirGlob(root, split("apps/**"), none)).toContain("apps");
  });

  test("skip keeps patterns out of the directories it names (sub-repos)", () => {
    const skip = (rel: string) => rel === "helpers_root" || rel === "elsewhere";
    expect(expandDirGlob(root, split("*/devops/docker_build"), skip)).toEqual(["app_x/devops/docker_build"]);
    expect(expandDirGlob(root, split("**/devops/docker_build"), skip)).not.toContain("helpers_root/devops/docker_build");
  });

  test("nothing matched is an empty list, not an error", () => {
    expect(expandDirGlob(root, split("nope/*/devops"), none)).toEqual([]);
  });

  test("a pattern in the file name, or '**' inside a name, is refused", () => {
    expect(globProblem("apps/*/devops/*.Dockerfile")).toContain("file name");
    expect(globProblem("apps/a**/devops/x")).toContain("whole path segment");
    expect(globProblem("apps/*/devops/docker_build/dev.Dockerfile")).toBeNull();
  });
});

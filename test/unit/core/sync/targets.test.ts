import { afterAll, describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import type { SyncFileSpec } from "../../../../src/core/config/schema.ts";
import { planTargets } from "../../../../src/core/sync/targets.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("planTargets: sync.files entries to destinations", () => {
  const tree = testdir({
    "ws/helpers_root/devops/docker_build/dev.Dockerfile": "FROM python\n",
    "ws/helpers_root/pytest.ini": "[pytest]\n",
    "ws/apps/a/devops/docker_build/": "",
    "ws/apps/b/devops/docker_build/": "",
    "ws/apps/c/devops/docker_build/": "",
    "ws/app_x/devops/docker_build/": "",
    "ws/other_sub/devops/docker_build/": "",
    "outside/": "",
  }).path;
  const ws = join(tree, "ws");
  symlinkSync(join(tree, "outside"), join(ws, "escape"));
  const ctx = {
    root: ws,
    from: "helpers_root",
    fromReal: join(ws, "helpers_root"),
    subRepos: [{ path: "helpers_root" }, { path: "other_sub" }] as never,
    where: (i: number, ...below: (string | number)[]) => `dt.yaml:${i + 10}${below.length ? `:${below.join(".")}` : ""}`,
  };
  const DOCKERFILE = "devops/docker_build/dev.Dockerfile";
  const plan = (...files: (string | SyncFileSpec)[]) => planTargets(files, ctx);
  const messages = (...files: (string | SyncFileSpec)[]) => plan(...files).problems.map((p) => `${p.where} ${p.message}`);

  test("a plain string is a copy to the same path, as before", () => {
    const { targets, problems } = plan("pytest.ini");
    expect(problems).toEqual([]);
    expect(targets).toEqual([
      { index: 0, mode: "copy", path: "pytest.ini", sourcePath: "pytest.ini", target: join(ws, "pytest.ini"), source: join(ws, "helpers_root/pytest.ini"), linkText: null },
    ]);
  });

  test("a link glob expands to this repo's existing dirs, not the sub-repos, with relative link texts", () => {
    const { targets, problems, warnings } = plan({ from: DOCKERFILE, to: [`**/${DOCKERFILE}`], mode: "link" });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(targets.map((t) => [t.path, t.linkText])).toEqual([
      [`app_x/${DOCKERFILE}`, `../../../helpers_root/${DOCKERFILE}`],
      [`apps/a/${DOCKERFILE}`, `../../../../helpers_root/${DOCKERFILE}`],
      [`apps/b/${DOCKERFILE}`, `../../../../helpers_root/${DOCKERFILE}`],
      [`apps/c/${DOCKERFILE}`, `../../../../helpers_root/${DOCKERFILE}`],
    ]);
    expect(targets.every((t) => t.mode === "link" && t.target === join(ws, t.path))).toBe(true);
  });

  test("'to' may be one string; without 'to' the destination is the same path; mode defaults to copy", () => {
    expect(plan({ from: "pytest.ini", to: "conf/pytest.ini" }).targets[0]).toMatchObject({ path: "conf/pytest.ini", mode: "copy", sourcePath: "pytest.ini" });
    expect(plan({ from: "pytest.ini", mode: "link" }).targets[0]).toMatchObject({ path: "pytest.ini", linkText: "helpers_root/pytest.ini" });
  });

  test("a glob that matches nothing is a warning naming the entry, not a problem", () => {
    const { targets, problems, warnings } = plan({ from: DOCKERFILE, to: ["services/*/dev.Dockerfile", `apps/a/${DOCKERFILE}`], mode: "link" });
    expect(problems).toEqual([]);
    expect(targets.map((t) => t.path)).toEqual([`apps/a/${DOCKERFILE}`]);
    expect(warnings).toEqual(['dt.yaml:10:to.0: sync.files[0].to[0] "services/*/dev.Dockerfile" matches no directory; nothing written for it']);
  });

  test("destinations outside the repo or inside a sub-repo are refused, each at its dt.yaml line", () => {
    const all = messages(
      { from: DOCKERFILE, to: ["../elsewhere/x", "/etc/x", `helpers_root/${DOCKERFILE}`, "escape/x", "other_sub/x"], mode: "link" },
    );
    expect(all).toEqual([
      expect.stringMatching(/^dt\.yaml:10:to\.0 sync\.files\[0\]\.to\[0\] "\.\.\/elsewhere\/x" leaves the workspace/),
      expect.stringMatching(/^dt\.yaml:10:to\.1 .* is absolute/),
      expect.stringMatching(/^dt\.yaml:10:to\.2 .* is inside the sub-repo helpers_root/),
      expect.stringMatching(/^dt\.yaml:10:to\.3 .* resolves through a symlink to .*outside the workspace/),
      expect.stringMatching(/^dt\.yaml:10:to\.4 .* is inside the sub-repo other_sub/),
    ]);
    expect(plan({ from: DOCKERFILE, to: ["../x"] }).problems[0]!.exitCode).toBe(2);
  });

  test("entry shape problems: no from, a bad from, no destination, a glob file name, two sources for one path", () => {
    expect(messages({ to: ["x"] } as SyncFileSpec)).toEqual([expect.stringContaining("dt.yaml:10 sync.files[0] has no 'from'")]);
    expect(messages({ from: "../x", to: ["x"] })).toEqual([expect.stringContaining('dt.yaml:10:from sync.files[0].from "../x" leaves')]);
    expect(messages({ from: DOCKERFILE, to: [] })).toEqual([expect.stringContaining("sync.files[0].to lists no destination")]);
    expect(messages({ from: DOCKERFILE, to: ["apps/a/*.Dockerfile"] })).toEqual([expect.stringContaining("file name")]);
    expect(messages("pytest.ini", { from: DOCKERFILE, to: ["pytest.ini"] })).toEqual([
      expect.stringContaining("sync.files[1] and sync.files[0] both write pytest.ini"),
    ]);
    // The same destination twice from the same source is one destination, as a repeated string always was.
    expect(plan("pytest.ini", "pytest.ini", { from: "pytest.ini" }).targets).toHaveLength(1);
  });

  test("a link's destination is not followed: a link already there is what gets judged", () => {
    symlinkSync(`../../../../helpers_root/${DOCKERFILE}`, join(ws, "apps/c", DOCKERFILE));
    const { targets, problems } = plan({ from: DOCKERFILE, to: [`apps/c/${DOCKERFILE}`], mode: "link" });
    expect(problems).toEqual([]);
    expect(targets[0]!.target).toBe(join(ws, "apps/c", DOCKERFILE));
    // As a copy the same path leads into the sub-repo, which a copy may not write.
    expect(messages(`apps/c/${DOCKERFILE}`)).toEqual([expect.stringContaining("inside the sub-repo helpers_root")]);
  });
});

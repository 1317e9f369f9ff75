import { afterAll, describe, expect, test } from "bun:test";
import { buildArgsFor, parseBuildArgs } from "../../../../src/core/build/build-image.ts";
import { targetOf } from "../../../../src/core/workspace/target.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

function target(rootYaml: string, dirYaml?: string) {
  const root = testdir({
    "dt.yaml": rootYaml,
    "app/changelog.txt": "# app-1.2.3\n- 2026-11-20\n- First\n",
    "app/devops/.keep": "",
    ...(dirYaml === undefined ? {} : { "app/dt.yaml": dirYaml }),
  }).path;
  return targetOf({ root, path: "app", absPath: `${root}/app` });
}

describe("buildArgsFor", () => {
  test("dt's own args, then docker.build_args (root merged with the dir's) with placeholders filled, then --build-arg", () => {
    const t = target(
      'base_image: base:1\ndocker:\n  build_args:\n    POETRY_MODE: "update-${VERSION}"\n    TAG: "${IMAGE}:${STAGE}"\n    KEEP: root\n',
      "docker:\n  build_args:\n    KEEP: dir\n    WORKERS: 4\n",
    );
    expect(buildArgsFor(t, "local", "1.2.3", { KEEP: "cli" })).toEqual({
      BASE_IMAGE: "base:1",
      DT_VERSION: "1.2.3",
      DT_STAGE: "local",
      POETRY_MODE: "update-1.2.3",
      TAG: "app:local",
      KEEP: "cli",
      WORKERS: "4",
    });
  });

  test("docker.build_args may set BASE_IMAGE, and --build-arg wins over it", () => {
    const t = target("docker:\n  build_args:\n    BASE_IMAGE: mine:2\n");
    expect(buildArgsFor(t, "prod", "1.2.3", {}).BASE_IMAGE).toBe("mine:2");
    expect(buildArgsFor(t, "prod", "1.2.3", { BASE_IMAGE: "cli:3" }).BASE_IMAGE).toBe("cli:3");
  });

  test("an unknown placeholder is an input error at its dt.yaml line", () => {
    const t = target('docker:\n  build_args:\n    MODE: "x-${VERSON}"\n');
    const e = dtErrorOf(() => buildArgsFor(t, "local", "1.2.3", {}));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("docker.build_args.MODE: unknown placeholder ${VERSON}");
    expect(e.where).toBe("dt.yaml:3");
    expect(e.hint).toContain("${VERSION}");
  });

  test("parseBuildArgs: KEY=VALUE, the value may hold '='; no key is a usage error", () => {
    expect(parseBuildArgs(["A=1", "B=x=y", "C="])).toEqual({ A: "1", B: "x=y", C: "" });
    expect(dtErrorOf(() => parseBuildArgs(["=1"])).exitCode).toBe(2);
  });
});

// What `dt --help` and a command's `--help` evaluate: help is read from the command table and
// the one command's module, never from the rest of the tree or the engine client.
import { afterAll, describe, expect, test } from "bun:test";
import { join, relative } from "node:path";
import { cleanupAll, testdir } from "../support/fixtures.ts";

afterAll(cleanupAll);

const ROOT = join(import.meta.dir, "../..");
const dir = testdir({
  // Bun lists ES modules in require.cache too; main.ts ends with process.exit, so read it on exit.
  "loaded.ts": `process.on("exit", () => { require("node:fs").writeSync(2, "\\n@@" + JSON.stringify(Object.keys(require.cache))); });\n`,
}).path;

function modulesLoadedBy(...argv: string[]): string[] {
  const r = Bun.spawnSync([process.execPath, "--preload", join(dir, "loaded.ts"), join(ROOT, "src/main.ts"), ...argv], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(r.exitCode).toBe(0);
  const list = r.stderr.toString().split("\n@@").at(-1)!;
  return (JSON.parse(list) as string[])
    .filter((p) => p.startsWith("/") && !p.endsWith("loaded.ts") && !p.endsWith("package.json"))
    .map((p) => (p.includes("/node_modules/") ? p.slice(p.indexOf("/node_modules/") + 1) : relative(ROOT, p)))
    .sort();
}

describe("start-up weight", () => {
  // main.ts, the entry point, is not listed: it is still evaluating when the list is read.
  test("dt --help loads the launcher, the command table and base helpers only", () => {
    expect(modulesLoadedBy("--help")).toEqual([
      "src/cli-args.ts",
      "src/cli.ts",
      "src/commands/_define.ts",
      "src/commands/_shared.ts",
      "src/commands/_tree.ts",
      "src/commands/index.ts",
      "src/core/base/answers.ts",
      "src/core/base/did-you-mean.ts",
      "src/core/base/dt-version.ts",
      "src/core/base/errors.ts",
      "src/core/base/lifecycle.ts",
      "src/core/base/printable.ts",
      "src/core/base/tty.ts",
      "src/ui/fd.ts",
      "src/ui/output.ts",
      "src/ui/text-width.ts",
    ]);
  });

  test("dt docker build --help adds its group, its module and citty, nothing of core or dockerode", () => {
    const loaded = modulesLoadedBy("docker", "build", "--help");
    const base = modulesLoadedBy("--help");
    expect(loaded.filter((m) => !base.includes(m))).toEqual([
      "node_modules/citty/dist/_chunks/libs/scule.mjs",
      "node_modules/citty/dist/index.mjs",
      "src/commands/docker/build.ts",
      "src/commands/docker/index.ts",
    ]);
  });
});

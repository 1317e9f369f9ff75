import { afterAll, describe, expect, test } from "bun:test";
import { resolveCommand } from "../../../src/cli.ts";
import { completions } from "../../../src/complete.ts";
import { defineCommand, defineGroup, type CommandTable, type DtCommand, type DtGroup } from "../../../src/commands/_define.ts";
import { locate } from "../../../src/commands/_tree.ts";
import { DtError } from "../../../src/core/base/errors.ts";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../../support/fixtures.ts";

afterAll(cleanupAll);

/** A small tree whose loads are counted, to see the walk load only what is on its way. */
function fakeTree() {
  const loaded: string[] = [];
  const entry = (name: string, node: DtCommand | DtGroup) => ({
    description: name,
    load: async () => {
      loaded.push(name);
      return node;
    },
  });
  const leaf = (name: string) => defineCommand({ meta: { name, description: name }, args: { json: { type: "boolean" } }, run: () => {} });
  const root: CommandTable = {
    ls: entry("ls", leaf("ls")),
    docker: entry("docker", defineGroup({ meta: { name: "docker", description: "" }, subCommands: { build: entry("build", leaf("build")), ps: entry("ps", leaf("ps")) } })),
    version: entry("version", defineGroup({ meta: { name: "version", description: "" }, self: leaf("version"), subCommands: { bump: entry("bump", leaf("bump")) } })),
  };
  return { root, loaded };
}

describe("locate", () => {
  test("walks names down to a command and leaves its argv", async () => {
    const { root, loaded } = fakeTree();
    const found = await locate(["docker", "build", "--stage", "prod", "ps"], root);
    expect(found.path).toEqual(["docker", "build"]);
    expect(found.node?.kind).toBe("command");
    expect(found.rest).toEqual(["--stage", "prod", "ps"]);
    expect(found.unknown).toBeUndefined();
    expect(loaded).toEqual(["docker", "build"]);
  });

  test("stops at the first flag, even where a name could follow", async () => {
    const { root } = fakeTree();
    const found = await locate(["docker", "--json", "build"], root);
    expect(found.path).toEqual(["docker"]);
    expect(Object.keys(found.table)).toEqual(["build", "ps"]);
    expect(found.rest).toEqual(["--json", "build"]);
  });

  test("an unknown word ends the walk and is named", async () => {
    const { root, loaded } = fakeTree();
    expect(await locate(["lss"], root)).toEqual({ path: [], node: undefined, table: root, rest: ["lss"], unknown: "lss" });
    const inGroup = await locate(["docker", "biuld"], root);
    expect([inGroup.path, inGroup.unknown]).toEqual([["docker"], "biuld"]);
    expect(loaded).toEqual(["docker"]);
  });

  test("no words: the root", async () => {
    const { root, loaded } = fakeTree();
    expect(await locate([], root)).toEqual({ path: [], node: undefined, table: root, rest: [] });
    expect(loaded).toEqual([]);
  });
});

describe("resolveCommand (dispatch)", () => {
  const usageMessage = async (tokens: string[]) => {
    const e = await resolveCommand(tokens).catch((error: unknown) => error);
    if (!(e instanceof DtError)) throw new Error(`expected a DtError, got ${String(e)}`);
    expect(e.exitCode).toBe(2);
    return e.message;
  };

  test("an unknown command is a usage error with a did-you-mean, at the root and in a group", async () => {
    expect(await usageMessage(["lss"])).toBe("unknown command 'lss' for 'dt'. Did you mean 'ls'?");
    expect(await usageMessage(["docker", "biuld"])).toBe("unknown command 'biuld' for 'dt docker'. Did you mean 'build'?");
  });

  test("a group that runs alone gets the word as its own argument", async () => {
    const found = await resolveCommand(["version", "nope"]);
    expect(found.path).toEqual(["version"]);
    expect(found.rest).toEqual(["nope"]);
  });
});

describe("completions", () => {
  test("commands and globals at the root, subcommands in a group", async () => {
    expect(await completions([])).toEqual(expect.arrayContaining(["ls", "docker", "completion", "--verbose", "--help"]));
    const docker = await completions(["docker"]);
    expect(docker).toEqual(expect.arrayContaining(["build", "clean", "--no-color"]));
    expect(docker).not.toContain("ls");
  });

  test("a command's flags; a group that runs alone offers both", async () => {
    const build = await completions(["docker", "build"]);
    expect(build).toEqual(expect.arrayContaining(["--stage", "--build-arg", "--json", "--verbose"]));
    expect(build).not.toContain("build");
    expect(await completions(["version"])).toEqual(expect.arrayContaining(["check", "bump", "--json", "--dir"]));
    // positionals are not flags
    expect(await completions(["version", "bump"])).not.toContain("--part");
  });

  test("after a flag: an enum's values, nothing for a string", async () => {
    expect(await completions(["docker", "build", "--stage"])).toEqual(["local", "prod"]);
    expect(await completions(["test", "--stage"])).toEqual(["local", "dev", "prod"]);
    expect(await completions(["setenv", "--shell"])).toEqual(["bash", "zsh", "fish", "sh"]);
    expect(await completions(["docker", "build", "--version"])).toEqual([]);
  });

  test("values where a positional stands; after a run's command, nothing of dt's", async () => {
    expect((await completions(["docker", "release"])).slice(0, 2)).toEqual(["dev", "prod"]);
    expect(await completions(["docker", "release", "dev"])).not.toContain("dev");
    expect((await completions(["docker", "rollback", "--version", "1.0.0"])).slice(0, 2)).toEqual(["dev", "prod"]);
    expect((await completions(["version", "bump"])).slice(0, 3)).toEqual(["major", "minor", "patch"]);
    expect((await completions(["completion"])).slice(0, 3)).toEqual(["bash", "zsh", "fish"]);
    expect(await completions(["docker", "cmd", "python3"])).toEqual([]);
    expect(await completions(["docker", "cmd", "--stage", "dev", "--", "ls"])).toEqual([]);
    expect(await completions(["docker", "cmd"])).toContain("--stage");
  });

  test("values read from the workspace: runnable dirs for --dir, the target dir's suites, the tasks of dt.yaml", async () => {
    const root = makeRepo(join(testdir().path, "ws"), {
      "dt.yaml": "name: w\ntasks:\n  lint: ruff check .\n  all-tests: [dt test --suite fast, dt test --suite slow]\ntest:\n  suites:\n    nightly: {marker: nightly, timeout: 60}\n",
      "apps/api/changelog.txt": "# api-0.1.0\n- 2026-11-20\n- First\n",
      "apps/api/devops/.keep": "",
      "apps/api/dt.yaml": "tasks:\n  serve: python3 -m api\n",
      "tools/changelog.txt": "# tools-0.1.0\n- 2026-11-20\n- First\n",
      "tools/devops/.keep": "",
    });
    const api = join(root, "apps", "api");
    expect(await completions(["test", "--dir"], root)).toEqual(["apps/api", "tools"]);
    expect(await completions(["docker", "build", "--dir"], api)).toEqual([".", "../../tools"]);
    expect(await completions(["test", "--suite"], root)).toEqual(["fast", "slow", "superslow", "nightly", "all"]);
    expect((await completions(["run"], root)).slice(0, 2)).toEqual(["lint", "all-tests"]);
    expect((await completions(["run"], api)).slice(0, 3)).toEqual(["lint", "all-tests", "serve"]);
    // Outside a workspace there is nothing to offer, and no error.
    expect(await completions(["test", "--dir"], testdir().path)).toEqual([]);
    expect((await completions(["run"], testdir().path))[0]).toBe("--list");
  });

  test("global flags are skipped as a run skips them; other flags end the walk as in a run", async () => {
    expect(await completions(["--verbose", "docker"])).toEqual(await completions(["docker"]));
    expect(await completions(["docker", "--no-color", "build"])).toEqual(await completions(["docker", "build"]));
    expect(await completions(["docker", "--json", "build"])).toEqual(await completions(["docker"]));
  });

  test("an unknown word leaves the candidates of where it stood; never throws", async () => {
    expect(await completions(["dockr"])).toEqual(await completions([]));
    expect(await completions(["docker", "nope", "x"])).toEqual(await completions(["docker"]));
  });
});

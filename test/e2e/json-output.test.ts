// The --json promise (README, "Commands"): every command that takes --json prints exactly one
// JSON document on stdout, also when it fails: `ok: false`, the exit code, and the error's
// message, where and hint (or the command's own report). The commands are read from the command
// tree, so a new --json command fails here until it has a failing case below.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { CommandTable } from "../../src/commands/_define.ts";
import { commands } from "../../src/commands/index.ts";
import { dt } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

/** Every command path whose command takes --json (or always prints JSON). */
async function jsonCommands(table: CommandTable, prefix: string[] = []): Promise<string[]> {
  const found: string[] = [];
  for (const [name, entry] of Object.entries(table)) {
    const node = await entry.load();
    const command = node.kind === "group" ? node.self : node;
    if (command && ("json" in command.args || command.impliedJson)) found.push([...prefix, name].join(" "));
    if (node.kind === "group") found.push(...(await jsonCommands(node.subCommands, [...prefix, name])));
  }
  return found;
}

const suffix = Math.random().toString(36).slice(2, 8);
const image = `dtjson-${suffix}`;
const ENGINE_DOWN = { DOCKER_HOST: "tcp://127.0.0.1:1" };
let ws = "";
let bad = "";
let outside = "";

beforeAll(() => {
  const files = (dtYaml: string) => ({
    "dt.yaml": dtYaml,
    "svc/changelog.txt": `# ${image}-0.2.0\n- 2026-11-20\n- Second\n\n# ${image}-0.1.0\n- 2026-11-01\n- First\n`,
    "svc/devops/docker_build/os_packages.txt": "",
  });
  ws = makeRepo(join(testdir().path, "ws"), { ...files(`name: js\nbase_image: ${testbed().images.busybox}\n`), "svc/dt.yaml": `image: ${image}\n` });
  bad = makeRepo(join(testdir().path, "bad"), files("name: js\nimag: typo\n"));
  outside = testdir().path;
});

afterAll(async () => {
  await removeImages([image]);
  cleanupAll();
});

interface Case {
  args: string[];
  cwd: () => string;
  env?: Record<string, string | undefined>;
  /** Run first (not checked): what the failure needs. */
  before?: () => Promise<unknown>;
  code: number;
  /** Words of the failure that must be in the document. */
  says: string;
}

const svc = () => join(ws, "svc");
const env = { USER: "dttest", DT_REGISTRY: undefined };

const CASES: Record<string, Case> = {
  ls: { args: ["ls"], cwd: () => bad, code: 2, says: "unknown key 'imag'" },
  config: { args: ["config"], cwd: () => bad, code: 2, says: "unknown key 'imag'" },
  doctor: { args: ["doctor"], cwd: () => ws, env: ENGINE_DOWN, code: 3, says: "not reachable" },
  "docker build": { args: ["docker", "build"], cwd: svc, env: ENGINE_DOWN, code: 3, says: "the Docker engine at tcp://127.0.0.1:1 is not reachable" },
  "docker images": { args: ["docker", "images"], cwd: svc, env: ENGINE_DOWN, code: 3, says: "is not reachable (ECONNREFUSED)" },
  "docker push": { args: ["docker", "push", "--stage", "local"], cwd: svc, code: 2, says: "no registry to release to" },
  "docker pull": { args: ["docker", "pull", "--stage", "local"], cwd: svc, code: 2, says: "local images are built here, not pulled" },
  "docker release": { args: ["docker", "release", "dev"], cwd: svc, code: 2, says: "no registry to release to" },
  "docker rollback": { args: ["docker", "rollback", "dev"], cwd: svc, code: 2, says: "missing option --version" },
  "docker ps": { args: ["docker", "ps"], cwd: () => ws, env: ENGINE_DOWN, code: 3, says: "is not reachable (ECONNREFUSED) while listing containers" },
  "docker clean": { args: ["docker", "clean"], cwd: () => ws, env: ENGINE_DOWN, code: 3, says: "is not reachable" },
  test: { args: ["test", "--all"], cwd: () => ws, env: ENGINE_DOWN, code: 3, says: "is not reachable" },
  "ci matrix": { args: ["ci", "matrix", "--shards", "0"], cwd: () => ws, code: 2, says: "--shards" },
  version: { args: ["version"], cwd: () => outside, code: 2, says: "not inside a git repository" },
  // The case of the issue: a version mismatch used to print nothing.
  "version check": {
    args: ["version", "check", "--version", "0.1.0"],
    cwd: svc,
    before: () => dt(["docker", "build", "--version", "0.1.0"], { cwd: svc(), env }),
    code: 3,
    says: "is version 0.1.0 but the code needs 0.2.0",
  },
  "version bump": { args: ["version", "bump", "patch"], cwd: svc, code: 2, says: "a version bump needs a message" },
  run: { args: ["run", "lint"], cwd: () => ws, code: 2, says: "--list takes no task" },
  "deps lock": { args: ["deps", "lock"], cwd: svc, code: 2, says: "pyproject.toml does not exist" },
  "deps update": { args: ["deps", "update"], cwd: svc, code: 2, says: "pyproject.toml does not exist" },
  "deps show": { args: ["deps", "show", "--stage", "dev"], cwd: svc, env: ENGINE_DOWN, code: 3, says: "is not reachable" },
  "deps diff": { args: ["deps", "diff", "dev-0.0.1", "dev-0.0.2"], cwd: svc, env: ENGINE_DOWN, code: 3, says: "is not reachable" },
  sync: { args: ["sync"], cwd: () => outside, code: 2, says: "not inside a git repository" },
  "subrepo add": { args: ["subrepo", "add", "https://example.invalid/x.git"], cwd: () => ws, code: 2, says: "missing argument PATH" },
  "subrepo ls": { args: ["subrepo", "ls"], cwd: () => outside, code: 2, says: "not inside a git repository" },
  "subrepo update": { args: ["subrepo", "update"], cwd: () => outside, code: 2, says: "not inside a git repository" },
  "subrepo pull": { args: ["subrepo", "pull"], cwd: () => outside, code: 2, says: "not inside a git repository" },
  "subrepo roll-forward": { args: ["subrepo", "roll-forward"], cwd: () => outside, code: 2, says: "not inside a git repository" },
};

describe("--json on failure: one document on stdout, ok: false, the exit code and the error", () => {
  test("every command that takes --json has a failing case here", async () => {
    const paths = await jsonCommands(commands);
    expect(paths.length).toBeGreaterThan(15);
    expect(paths.filter((p) => !(p in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((p) => !paths.includes(p))).toEqual([]);
  });

  for (const [path, c] of Object.entries(CASES)) {
    test(`dt ${path} ${c.args.slice(path.split(" ").length).join(" ")} --json`.replace(/\s+/g, " "), async () => {
      await c.before?.();
      const r = await dt([...c.args, "--json"], { cwd: c.cwd(), env: { ...env, ...c.env }, timeoutMs: 120_000 });
      let doc: any;
      expect(() => (doc = JSON.parse(r.stdout))).not.toThrow();
      expect(r.code).toBe(c.code);
      expect(doc.ok).toBe(false);
      expect(doc.exitCode).toBe(c.code);
      expect(JSON.stringify(doc)).toContain(c.says.replaceAll('"', '\\"'));
      // An error (not a command's own report) is {message, where, hint}, as the text says it.
      if (doc.error) {
        expect(Object.keys(doc)).toEqual(["ok", "exitCode", "error"]);
        expect(r.stderr).toContain(`error: ${doc.error.where ? `${doc.error.where}: ` : ""}${doc.error.message.split("\n")[0]}`);
        if (doc.error.hint) expect(r.stderr).toContain(`fix: ${doc.error.hint}`);
      }
    });
  }
});

describe("--json on success", () => {
  test("documents carry ok: true first; the text commands print no JSON", async () => {
    const r = await dt(["ls", "--json"], { cwd: ws, env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)[0]).toBe("ok");
    expect(doc.ok).toBe(true);
    expect(doc.exitCode).toBeUndefined();
    const text = await dt(["ls"], { cwd: ws, env });
    expect(text.stdout).toStartWith("workspace ");
  });

  test("an error of a command without --json prints no document", async () => {
    const r = await dt(["version", "check"], { cwd: svc(), env: { ...env, ...ENGINE_DOWN } });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: the Docker engine at tcp://127.0.0.1:1 is not reachable");
  });
});

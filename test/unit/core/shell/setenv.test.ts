import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DtErrors } from "../../../../src/core/base/errors.ts";
import {
  applyWorkspaceEnv,
  defaultShell,
  prependMissing,
  quoteFish,
  quoteSh,
  renderSetenv,
  workspaceEnv,
  type WorkspaceEnv,
} from "../../../../src/core/shell/setenv.ts";
import { cleanupAll, testdir, writeTree } from "../../../support/fixtures.ts";
import { localTag } from "../../../support/tags.ts";

afterAll(cleanupAll);

const NASTY = ["plain", "with space", "it's", 'say "hi"', "$HOME", "`id`", "a\\b", "tab\there", "ünï çødé", "*?[x]", "-n", "new\nline", ""];

/** What a shell prints for `printf %s WORD`, WORD written by the quoting under test. */
function echoed(shell: "bash" | "zsh" | "fish", word: string): string {
  const r = Bun.spawnSync([shell, "-c", `printf %s ${word}`], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  return r.stdout.toString();
}

describe("quoting", () => {
  for (const value of NASTY) {
    test(`sh/bash/zsh and fish keep ${JSON.stringify(value)} as one word`, () => {
      expect(echoed("bash", quoteSh(value))).toBe(value);
      expect(echoed("zsh", quoteSh(value))).toBe(value);
      expect(echoed("fish", quoteFish(value))).toBe(value);
    });
  }
  test("plain words stay readable", () => {
    expect(quoteSh("/usr/bin")).toBe("/usr/bin");
    expect(quoteSh("--flag=1")).toBe("--flag=1");
  });
});

describe("prependMissing", () => {
  test("adds the missing dirs in order, in front", () => {
    expect(prependMissing("/usr/bin:/bin", ["/a", "/b"])).toBe("/a:/b:/usr/bin:/bin");
  });
  test("keeps what is there, where it is", () => {
    expect(prependMissing("/usr/bin:/a:/bin", ["/a", "/b"])).toBe("/b:/usr/bin:/a:/bin");
  });
  test("an empty or unset list gets no trailing ':' (an empty entry means the current dir)", () => {
    expect(prependMissing(undefined, ["/a"])).toBe("/a");
    expect(prependMissing("", ["/a", "/a"])).toBe("/a");
  });
  test("is idempotent", () => {
    const once = prependMissing("/bin", ["/a", "/b"]);
    expect(prependMissing(once, ["/a", "/b"])).toBe(once);
  });
});

test("defaultShell: the parent shell, else $SHELL's basename, else bash", () => {
  expect(defaultShell({ SHELL: "/usr/bin/zsh" }, undefined)).toBe("zsh");
  expect(defaultShell({ SHELL: "/opt/homebrew/bin/fish" }, "node")).toBe("fish");
  expect(defaultShell({ SHELL: "/bin/tcsh" }, undefined)).toBe("bash");
  expect(defaultShell({}, undefined)).toBe("bash");
  expect(defaultShell({ SHELL: "/usr/bin/zsh" }, "bash")).toBe("bash");
  expect(defaultShell({ SHELL: "/usr/bin/fish" }, "-zsh")).toBe("zsh");
  expect(defaultShell({}, "dash")).toBe("sh");
});

/**
 * A workspace as the file system shows it (setenv reads no git): a root repo, runnable at
 * the root and at svc/, with helpers_root as an initialised sub-repo.
 */
function fakeWorkspace(dtYaml: string, options: { rootRunnable?: boolean } = {}) {
  const dir = testdir().path;
  const root = join(dir, "my ws");
  writeTree(root, {
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/modules/helpers_root/HEAD": "0123456789abcdef0123456789abcdef01234567\n",
    ".gitmodules": '[submodule "helpers_root"]\n\tpath = helpers_root\n\turl = https://example.invalid/helpers.git\n',
    "dt.yaml": dtYaml,
    "changelog.txt": "# root-1.2.3\n- 2026-01-02\n- x\n",
    "devops/": "",
    "dev_scripts/": "",
    "svc/changelog.txt": "# svc-0.4.0\n- 2026-01-02\n- x\n",
    "svc/devops/": "",
    "svc/src/": "",
    "helpers_root/.git": "gitdir: ../.git/modules/helpers_root\n",
    "helpers_root/dev_scripts/": "",
    "helpers_root/mylib/__init__.py": "",
    "notes/": "",
  });
  if (options.rootRunnable === false) rmSync(join(root, "devops"), { recursive: true });
  return { root, cache: join(dir, "cache") };
}

const YAML = "registry: ghcr.io/acme\nsetenv:\n  path: [dev_scripts, missing]\n  pythonpath: ['.', helpers_root]\n";

describe("workspaceEnv", () => {
  test("root, innermost target dir, local image and the configured dirs of root and sub-repos", async () => {
    const { root, cache } = fakeWorkspace(YAML);
    const env = { XDG_CACHE_HOME: cache, USER: "Ann" };
    const ws = (await workspaceEnv(join(root, "svc", "src"), { env }))!;
    expect(ws.root).toBe(root);
    expect(ws.targetDir).toBe(join(root, "svc"));
    expect(ws.image).toEqual({ name: `ghcr.io/acme/svc:${localTag(root, "ann")}`, version: "0.4.0", stage: "local" });
    // Only existing dirs; root first, then each sub-repo; "." is the repo itself.
    expect(ws.path).toEqual([join(root, "dev_scripts"), join(root, "helpers_root/dev_scripts")]);
    // The target dir leads; helpers_root/helpers_root does not exist, and helpers_root's own "."
    // is already there.
    expect(ws.pythonpath).toEqual([join(root, "svc"), root, join(root, "helpers_root")]);
  });

  test("outside any runnable dir: empty target dir, no image, the root's config", async () => {
    const { root, cache } = fakeWorkspace(YAML, { rootRunnable: false });
    const ws = (await workspaceEnv(join(root, "notes"), { env: { XDG_CACHE_HOME: cache } }))!;
    expect(ws.targetDir).toBe("");
    expect(ws.image).toBeUndefined();
    expect(ws.path).toEqual([join(root, "dev_scripts"), join(root, "helpers_root/dev_scripts")]);
  });

  test("not in a git workspace: undefined", async () => {
    const dir = testdir({ "a/": "" }).path;
    expect(await workspaceEnv(join(dir, "a"), { env: {} })).toBeUndefined();
  });

  test("the cache follows edits of dt.yaml and changelog.txt, and never hides an invalid file", async () => {
    const { root, cache } = fakeWorkspace(YAML);
    const env = { XDG_CACHE_HOME: cache, USER: "ann" };
    expect((await workspaceEnv(root, { env }))!.image!.version).toBe("1.2.3");
    expect(readdirSync(join(cache, "dt", "setenv"))).toHaveLength(1);
    writeFileSync(join(root, "changelog.txt"), "# root-1.3.0\n- 2026-02-02\n- y\n\n# root-1.2.3\n- 2026-01-02\n- x\n");
    expect((await workspaceEnv(root, { env }))!.image!.version).toBe("1.3.0");
    writeFileSync(join(root, "dt.yaml"), "setenv:\n  path: []\n  pythonpath: [helpers_root]\n");
    const ws = (await workspaceEnv(root, { env }))!;
    expect(ws.path).toEqual([]);
    // The root is the target dir here: it leads PYTHONPATH whatever setenv.pythonpath says.
    expect(ws.pythonpath).toEqual([root, join(root, "helpers_root")]);
    expect(ws.image!.name).toBe(`my-ws:${localTag(root, "ann")}`);
    writeFileSync(join(root, "dt.yaml"), "setenv:\n  path: dev_scripts\n");
    const error = await workspaceEnv(root, { env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DtErrors);
    expect((error as Error).message).toContain("setenv.path: expected a list");
    // Still invalid on the next call: the failure was not cached.
    expect(await workspaceEnv(root, { env }).catch((e: unknown) => e)).toBeInstanceOf(DtErrors);
  });

  test("DT_REGISTRY changes the image without a stale cache", async () => {
    const { root, cache } = fakeWorkspace(YAML);
    const a = await workspaceEnv(root, { env: { XDG_CACHE_HOME: cache, USER: "ann" } });
    const b = await workspaceEnv(root, { env: { XDG_CACHE_HOME: cache, USER: "ann", DT_REGISTRY: "reg.example/x" } });
    expect(a!.image!.name).toBe(`ghcr.io/acme/my-ws:${localTag(root, "ann")}`);
    expect(b!.image!.name).toBe(`reg.example/x/my-ws:${localTag(root, "ann")}`);
  });

  test("an unwritable cache only costs speed", async () => {
    const { root } = fakeWorkspace(YAML);
    const ws = await workspaceEnv(root, { env: { XDG_CACHE_HOME: "/proc/no-such-dir" } });
    expect(ws!.root).toBe(root);
  });

  test("--inside: the workspace is DT_WORKSPACE and the DT_* values dt passed in win", async () => {
    const { root, cache } = fakeWorkspace(YAML);
    const outside = testdir().path;
    const env = { XDG_CACHE_HOME: cache, DT_WORKSPACE: root, DT_TARGET_DIR: join(root, "svc"), DT_IMAGE: "ghcr.io/acme/svc:dev", DT_VERSION: "0.4.0", DT_STAGE: "dev" };
    const ws = (await workspaceEnv(outside, { inside: true, env }))!;
    expect(ws.root).toBe(root);
    expect(ws.targetDir).toBe(join(root, "svc"));
    expect(ws.image).toEqual({ name: "ghcr.io/acme/svc:dev", version: "0.4.0", stage: "dev" });
    expect(ws.pythonpath).toContain(join(root, "helpers_root"));
  });
});

describe("renderSetenv", () => {
  const ws: WorkspaceEnv = {
    root: "/w s/it's",
    targetDir: "",
    path: ["/w s/it's/dev_scripts"],
    pythonpath: ["/w s/it's", "/w s/it's/helpers"],
  };

  test("without a target dir the image variables are unset, not left stale", () => {
    expect(renderSetenv("bash", ws, { cwd: "/" })).toContain("unset DT_IMAGE DT_VERSION DT_STAGE");
    expect(renderSetenv("fish", ws, { cwd: "/" })).toContain("set -e DT_IMAGE DT_VERSION DT_STAGE");
  });

  test("outside a workspace: a comment, then the completion if asked", () => {
    expect(renderSetenv("bash", undefined, { cwd: "/home/ann" })).toBe("# dt setenv: /home/ann is not inside a git workspace; nothing to set\n");
    expect(renderSetenv("zsh", undefined, { cwd: "/x", completion: "compdef _dt dt\n" })).toEndWith("\ncompdef _dt dt\n");
  });

  for (const shell of ["bash", "zsh", "sh"] as const) {
    test(`${shell}: evaluating twice adds each dir once, in order, before the user's entries`, () => {
      const code = renderSetenv(shell, ws, { cwd: "/" });
      const script = `PATH="/usr/bin:/bin"; PYTHONPATH="/mine"; eval "$CODE"; eval "$CODE"; printf '%s\\n' "$PATH" "$PYTHONPATH" "$DT_WORKSPACE" "\${DT_IMAGE-unset}"`;
      const exe = shell === "sh" ? "/bin/sh" : shell;
      const r = Bun.spawnSync([exe, "-c", script], { env: { CODE: code, DT_IMAGE: "stale" }, stdout: "pipe", stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.toString().split("\n")).toEqual([
        "/w s/it's/dev_scripts:/usr/bin:/bin",
        "/w s/it's:/w s/it's/helpers:/mine",
        "/w s/it's",
        "unset",
        "",
      ]);
    });
  }

  test("an unset PYTHONPATH gets no empty entry", () => {
    const code = renderSetenv("bash", ws, { cwd: "/" });
    const r = Bun.spawnSync(["bash", "-c", `unset PYTHONPATH; eval "$CODE"; printf %s "$PYTHONPATH"`], { env: { CODE: code, PATH: "/bin" }, stdout: "pipe" });
    expect(r.stdout.toString()).toBe("/w s/it's:/w s/it's/helpers");
  });
});

describe("applyWorkspaceEnv", () => {
  test("sets the DT_* variables, prepends missing dirs, drops stale image variables", () => {
    const env = applyWorkspaceEnv(
      { PATH: "/bin:/a", DT_IMAGE: "stale", HOME: "/h", UNSET: undefined },
      { root: "/w", targetDir: "", path: ["/a", "/b"], pythonpath: ["/w"] },
    );
    expect(env).toEqual({ PATH: "/b:/bin:/a", PYTHONPATH: "/w", HOME: "/h", DT_WORKSPACE: "/w", DT_TARGET_DIR: "" });
  });
});

describe("setenv.path globs and the default for dev_scripts", () => {
  test("the default puts dev_scripts, dev_scripts_<repo> and every dir below them on PATH, in every repo", async () => {
    const { root, cache } = fakeWorkspace("");
    for (const d of ["dev_scripts_myrepo/git", "dev_scripts_myrepo/docker/sub", "dev_scripts_myrepo/.hidden", "helpers_root/dev_scripts_helpers/lint", "dev_scriptsx/"]) {
      mkdirSync(join(root, d), { recursive: true });
    }
    const ws = (await workspaceEnv(root, { env: { XDG_CACHE_HOME: cache } }))!;
    expect(ws.path).toEqual([
      join(root, "dev_scripts"),
      join(root, "dev_scripts_myrepo"),
      join(root, "dev_scripts_myrepo/docker"),
      join(root, "dev_scripts_myrepo/docker/sub"),
      join(root, "dev_scripts_myrepo/git"),
      join(root, "dev_scriptsx"),
      join(root, "helpers_root/dev_scripts"),
      join(root, "helpers_root/dev_scripts_helpers"),
      join(root, "helpers_root/dev_scripts_helpers/lint"),
    ]);
  });

  test("configured globs: * within a name, ** any depth; unmatchedEntries names what matches nothing", async () => {
    const { root, cache } = fakeWorkspace("setenv:\n  path: ['tools/*/bin', missing_dir]\n  pythonpath: ['libs/**']\n");
    for (const d of ["tools/a/bin", "tools/b/bin", "tools/c", "libs/x/y"]) mkdirSync(join(root, d), { recursive: true });
    const ws = (await workspaceEnv(root, { env: { XDG_CACHE_HOME: cache } }))!;
    expect(ws.path).toEqual([join(root, "tools/a/bin"), join(root, "tools/b/bin")]);
    expect(ws.pythonpath).toEqual([root, join(root, "libs"), join(root, "libs/x"), join(root, "libs/x/y")]);
    const { unmatchedEntries } = await import("../../../../src/core/run/run-env.ts");
    const { findSubRepos } = await import("../../../../src/core/workspace/workspace.ts");
    expect(unmatchedEntries(root, findSubRepos(root), ["tools/*/bin", "missing_dir", "nope/*"])).toEqual(["missing_dir", "nope/*"]);
  });

  test("the cache follows an edit of a sub-repo's repo_config.py", async () => {
    const { root, cache } = fakeWorkspace("");
    const env = { XDG_CACHE_HOME: cache, USER: "ann" };
    mkdirSync(join(root, "helpers_root/devops"), { recursive: true });
    writeFileSync(join(root, "helpers_root/changelog.txt"), "# h-1.0.0\n- 2026-01-01\n- x\n");
    writeFileSync(join(root, "helpers_root/repo_config.py"), '_DOCKER_IMAGE_NAME = "first"\n');
    expect((await workspaceEnv(join(root, "helpers_root"), { env }))!.image!.name).toBe(`first:${localTag(root, "ann")}`);
    writeFileSync(join(root, "helpers_root/repo_config.py"), '_DOCKER_IMAGE_NAME = "second-name"\n');
    expect((await workspaceEnv(join(root, "helpers_root"), { env }))!.image!.name).toBe(`second-name:${localTag(root, "ann")}`);
  });
});

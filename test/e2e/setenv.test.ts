// `dt setenv` end to end: the compiled binary, evaluated by real bash, zsh and fish.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dtArgv } from "../support/dt.ts";
import { localTag } from "../support/tags.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";

afterAll(cleanupAll);

type Shell = "bash" | "zsh" | "fish";
const SHELLS: Shell[] = ["bash", "zsh", "fish"];

/** The user's PATH before dt: dt's own dir plus the system dirs (python3, git, the shells). */
let bin: string;
let userPath: string;
let home: string;
let root: string;
let svc: string;

/** A `dt` on PATH that is the binary under test. */
function installDt(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const argv = dtArgv();
  if (argv.length === 1) symlinkSync(argv[0]!, join(dir, "dt"));
  else {
    writeFileSync(join(dir, "dt"), `#!/bin/sh\nexec ${argv.map((a) => `'${a}'`).join(" ")} "$@"\n`);
    chmodSync(join(dir, "dt"), 0o755);
  }
}

beforeAll(() => {
  const tmp = testdir().path;
  bin = join(tmp, "bin");
  installDt(bin);
  home = join(tmp, "home");
  mkdirSync(home);
  userPath = `${bin}:/usr/local/bin:/usr/bin:/bin`;
  // The shared sub-repo: a Python package and a script dir.
  const helpers = makeRepo(join(tmp, "upstream", "helpers"), {
    "mylib/__init__.py": "GREETING = 'hello from mylib'\n",
    "dev_scripts/dt-hello": "#!/bin/sh\necho \"hello from dev_scripts: $DT_WORKSPACE\"\n",
  });
  chmodSync(join(helpers, "dev_scripts", "dt-hello"), 0o755);
  git(helpers, ["add", "-A"]);
  git(helpers, ["commit", "-q", "-m", "exec bit"]);
  // The super-repo, at a path no shell may mangle.
  root = makeRepo(join(tmp, `my ws 'q' "dq" $HOME ünï`), {
    "dt.yaml": "registry: ghcr.io/acme\nsetenv:\n  path: [dev_scripts]\n  pythonpath: ['.', helpers_root]\n",
    "changelog.txt": "# super-1.0.0\n- 2026-01-02\n- Initial\n",
    "devops/.keep": "",
    "dev_scripts/super-tool": "#!/bin/sh\necho super-tool\n",
    "svc/changelog.txt": "# svc-0.3.1\n- 2026-01-02\n- Initial\n",
    "svc/devops/.keep": "",
  });
  chmodSync(join(root, "dev_scripts", "super-tool"), 0o755);
  addSubmodule(root, helpers, "helpers_root");
  svc = join(root, "svc");
});

function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: userPath, HOME: home, USER: "tester", PYTHONPATH: "/my/python", LANG: "C.UTF-8", ...extra };
}

/** Runs `script` in a real shell (no rc files) and returns its stdout lines; fails on stderr. */
function inShell(shell: Shell, script: string, options: { cwd: string; env?: Record<string, string> }) {
  const argv = shell === "bash" ? ["bash", "--norc", "--noprofile", "-c", script] : shell === "zsh" ? ["zsh", "-f", "-c", script] : ["fish", "--no-config", "-c", script];
  const r = Bun.spawnSync(argv, { cwd: options.cwd, env: shellEnv(options.env), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString(), lines: r.stdout.toString().split("\n").slice(0, -1) };
}

const load: Record<Shell, string> = {
  bash: 'eval "$(dt setenv)"',
  zsh: 'eval "$(dt setenv)"',
  fish: "dt setenv --shell fish | source",
};
const show: Record<Shell, string> = {
  bash: 'printf "%s\\n" "$PATH" "$PYTHONPATH"',
  zsh: 'printf "%s\\n" "$PATH" "$PYTHONPATH"',
  fish: "string join : $PATH; string join : $PYTHONPATH",
};

describe("eval in bash, zsh and fish", () => {
  test("the same PATH and PYTHONPATH additions in every shell; a second eval changes nothing; the user's entries stay", () => {
    const results = SHELLS.map((shell) => {
      const r = inShell(shell, `${load[shell]}; ${show[shell]}; ${load[shell]}; ${show[shell]}`, { cwd: svc });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const [path1, py1, path2, py2] = r.lines;
      expect(path2).toBe(path1!);
      expect(py2).toBe(py1!);
      return { shell, path: path1!, pythonpath: py1! };
    });
    const expected = {
      path: `${join(root, "dev_scripts")}:${join(root, "helpers_root", "dev_scripts")}:${userPath}`,
      // The target dir (svc) leads PYTHONPATH, as the older toolchain's setenv has it.
      pythonpath: `${svc}:${root}:${join(root, "helpers_root")}:/my/python`,
    };
    for (const r of results) expect({ shell: r.shell, path: r.path, pythonpath: r.pythonpath }).toEqual({ shell: r.shell, ...expected });
  });

  for (const shell of SHELLS) {
    test(`${shell}: a sub-repo's module imports and a configured script runs by name`, () => {
      const python = `python3 -c 'import mylib; print(mylib.GREETING)'`;
      const r = inShell(shell, `${load[shell]}; ${python}; dt-hello; super-tool`, { cwd: join(root, "helpers_root") });
      expect(r.stderr).toBe("");
      expect(r.lines).toEqual(["hello from mylib", `hello from dev_scripts: ${root}`, "super-tool"]);
    });

    test(`${shell}: the DT_* variables of the target dir`, () => {
      const vars = shell === "fish" ? 'printf "%s\\n" $DT_WORKSPACE $DT_TARGET_DIR $DT_IMAGE $DT_VERSION $DT_STAGE $USER' : 'printf "%s\\n" "$DT_WORKSPACE" "$DT_TARGET_DIR" "$DT_IMAGE" "$DT_VERSION" "$DT_STAGE" "$USER"';
      const r = inShell(shell, `cd svc && ${load[shell]}; ${vars}`, { cwd: root });
      expect(r.stderr).toBe("");
      // fish sets USER to the real login whatever the environment says.
      const user = r.lines.at(-1)!.toLowerCase();
      expect(r.lines).toEqual([root, svc, `ghcr.io/acme/svc:${localTag(root, user)}`, "0.3.1", "local", r.lines.at(-1)!]);
    });
  }

  test("bash: completion is registered; zsh: after compinit; fish: always", () => {
    expect(inShell("bash", `${load.bash}; complete -p dt`, { cwd: root }).stdout).toContain("_dt_complete dt");
    const zsh = inShell("zsh", `autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"; ${load.zsh}; print -r -- "$_comps[dt]"`, { cwd: root });
    expect(zsh.lines.at(-1)).toBe("_dt");
    expect(inShell("fish", `${load.fish}; complete -c dt`, { cwd: root }).stdout).toContain("__dt_complete");
  }, 60_000);

  test("the default shell is the one that runs dt, even when $SHELL says another", () => {
    for (const shell of SHELLS) {
      const loadDefault = shell === "fish" ? "dt setenv | source" : 'eval "$(dt setenv)"';
      const r = inShell(shell, `${loadDefault}; ${show[shell]}`, { cwd: svc, env: { SHELL: shell === "fish" ? "/bin/bash" : "/usr/bin/fish" } });
      expect(r.stderr).toBe("");
      expect(r.lines[1]).toBe(`${svc}:${root}:${join(root, "helpers_root")}:/my/python`);
    }
  });
});

describe("harmless where there is nothing to set", () => {
  test("outside a workspace: exit 0, a comment, PATH and PYTHONPATH untouched, quiet stderr", () => {
    const away = testdir({ "x/": "" }).path;
    for (const shell of SHELLS) {
      const r = inShell(shell, `${load[shell]}; ${show[shell]}`, { cwd: away });
      expect(r.stderr).toBe("");
      expect(r.lines).toEqual([userPath, "/my/python"]);
    }
    const direct = Bun.spawnSync([...dtArgv(), "setenv", "--shell", "bash"], { cwd: away, env: shellEnv(), stdout: "pipe", stderr: "pipe" });
    expect(direct.exitCode).toBe(0);
    expect(direct.stdout.toString()).toStartWith(`# dt setenv: ${away} is not inside a git workspace; nothing to set\n`);
    const verbose = Bun.spawnSync([...dtArgv(), "--verbose", "setenv", "--shell", "bash"], { cwd: away, env: shellEnv(), stdout: "pipe", stderr: "pipe" });
    expect(verbose.stderr.toString().trim().split("\n")).toHaveLength(1);
  });

  test("an invalid dt.yaml: exit 2 with path:line on stderr and nothing on stdout, so eval does nothing", () => {
    const tmp = testdir().path;
    const bad = makeRepo(join(tmp, "bad"), { "dt.yaml": "setenv:\n  path: dev_scripts\n" });
    const r = inShell("bash", `${load.bash}; ${show.bash}`, { cwd: bad });
    expect(r.stderr).toContain("dt.yaml:2:");
    expect(r.lines).toEqual([userPath, "/my/python"]);
    const direct = Bun.spawnSync([...dtArgv(), "setenv"], { cwd: bad, env: shellEnv(), stdout: "pipe", stderr: "pipe" });
    expect(direct.exitCode).toBe(2);
    expect(direct.stdout.toString()).toBe("");
  });
});

describe("--inside", () => {
  test("the workspace as mounted (DT_WORKSPACE), the image dt passed in, no completion; POSIX sh can eval it", () => {
    const env = { DT_WORKSPACE: root, DT_IMAGE: "ghcr.io/acme/svc:dev", DT_VERSION: "0.3.1", DT_STAGE: "dev" };
    const r = Bun.spawnSync([...dtArgv(), "setenv", "--inside", "--shell", "sh"], { cwd: svc, env: shellEnv(env), stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const code = r.stdout.toString();
    expect(code).not.toContain("complete");
    const sh = Bun.spawnSync(["/bin/sh", "-c", `eval "$CODE"; eval "$CODE"; printf "%s\\n" "$PATH" "$PYTHONPATH" "$DT_IMAGE" "$DT_STAGE"`], {
      env: { ...shellEnv(env), CODE: code },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(sh.stderr.toString()).toBe("");
    expect(sh.stdout.toString().split("\n").slice(0, 4)).toEqual([
      `${join(root, "dev_scripts")}:${join(root, "helpers_root", "dev_scripts")}:${userPath}`,
      `${svc}:${root}:${join(root, "helpers_root")}:/my/python`,
      "ghcr.io/acme/svc:dev",
      "dev",
    ]);
  });
});

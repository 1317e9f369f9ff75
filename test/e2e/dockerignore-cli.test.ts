// dt's build context against the real Docker CLI's: for each tree and ignore file, the legacy
// builder (`DOCKER_BUILDKIT=0 docker build`, which packs the context in the CLI) copies the
// context into an image, and what lands there must be what collectContext selects. Some trees
// are also built from dt's own tar through the Engine API, as `dt docker build` does, and must
// land the same way (modes and links included).
// The docker CLI is fine in this file: the no-CLI rule is for dt's own code.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { collectContext } from "../../src/core/build/context.ts";
import { packContext } from "../../src/core/build/tar-writer.ts";
import { cleanupAll, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

const tb = testbed();
setDefaultTimeout(120_000);

const built: string[] = [];
afterAll(() => {
  if (built.length > 0) docker(["rmi", "--force", ...built]);
  cleanupAll();
});

function docker(args: string[], input?: string): string {
  const r = Bun.spawnSync(["docker", ...args], {
    env: { ...process.env, ...tb.env, DOCKER_BUILDKIT: "0" },
    stdin: input === undefined ? "ignore" : Buffer.from(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.exitCode}): ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

// One line per path: "D path", "F path mode" or "L path -> target".
const LIST = `cd /ctx && find . -mindepth 1 | sort | while read -r p; do
  p=\${p#./}
  if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")";
  elif [ -d "$p" ]; then echo "D $p";
  else echo "F $p $(stat -c %a "$p")"; fi
done`;

/** What `docker build` put in the image from `dir` with `dir/.dockerignore`. */
function dockerContext(dir: string): string[] {
  const dockerfile = `FROM ${tb.images.busybox}\nCOPY . /ctx\n`;
  const id = docker(["build", "--network", "none", "-q", "--label", "dt.test=dockerignore-cli", "-f", "-", dir], dockerfile);
  built.push(id);
  return docker(["run", "--rm", "--network", "none", id, "sh", "-c", LIST]).split("\n").filter(Boolean);
}

const TEST_DOCKERFILE = "devops/docker_build/dt-test.Dockerfile";

/** What building dt's own tar of `dir` through the Engine API puts in the image. */
async function engineContext(dir: string): Promise<string[]> {
  const text = readFileSync(join(dir, ".dockerignore"), "utf8");
  const injected = new Map([[TEST_DOCKERFILE, { text: `FROM ${tb.images.busybox}\nCOPY . /ctx\n`, mode: 0o644 }]]);
  const { entries } = collectContext(dir, { text, file: ".dockerignore" }, injected);
  const engine = new Docker(tb.dockerHost ? { host: tb.dockerHost } : undefined);
  const stream = await engine.buildImage(packContext(entries), {
    dockerfile: TEST_DOCKERFILE,
    labels: { "dt.test": "dockerignore-cli" },
    networkmode: "none",
  });
  const output: { aux?: { ID?: string }; error?: string; stream?: string }[] = await new Promise((resolve, reject) =>
    engine.modem.followProgress(stream, (err: Error | null, res: typeof output) => (err ? reject(err) : resolve(res))),
  );
  const failure = output.find((o) => o.error);
  if (failure) throw new Error(`engine build failed: ${failure.error}`);
  const id = output.find((o) => o.aux?.ID)?.aux?.ID ?? /Successfully built (\w+)/.exec(output.map((o) => o.stream ?? "").join(""))?.[1];
  if (!id) throw new Error(`engine build gave no image id: ${JSON.stringify(output.slice(-3))}`);
  built.push(id);
  // The Dockerfile, and the dirs made up to hold it, are not part of the comparison.
  const madeUp = new Set(entries.filter((e) => !e.source).map((e) => e.path));
  const lines = docker(["run", "--rm", "--network", "none", id, "sh", "-c", LIST]).split("\n").filter(Boolean);
  return lines.filter((l) => !madeUp.has(l.replace(/^[DF] (.*?)( \d+)?$/, "$1")));
}

/**
 * The same listing from collectContext. COPY creates the parents of what it copies, so
 * excluded dirs that were walked for an exception show up in the image as plain dirs.
 */
function dtContext(dir: string): string[] {
  const text = readFileSync(join(dir, ".dockerignore"), "utf8");
  const { entries } = collectContext(dir, { text, file: ".dockerignore" });
  const lines = new Map<string, string>();
  for (const e of entries) {
    if (e.type === "file") lines.set(e.path, `F ${e.path} ${e.mode.toString(8)}`);
    else if (e.type === "symlink") lines.set(e.path, `L ${e.path} -> ${e.linkTarget}`);
    else lines.set(e.path, `D ${e.path}`);
    for (let i = e.path.lastIndexOf("/"); i > 0; i = e.path.lastIndexOf("/", i - 1)) {
      const parent = e.path.slice(0, i);
      if (!lines.has(parent)) lines.set(parent, `D ${parent}`);
    }
  }
  return [...lines.keys()].sort().map((k) => lines.get(k)!);
}

// The CLI always sends .dockerignore and the engine drops it when it is excluded; dt never
// packs a .dockerignore of its own, so it is left out of the comparison.
const withoutIgnoreFile = (lines: string[]) => lines.filter((l) => !/^F \.dockerignore /.test(l));

function compare(tree: Record<string, string>, ignore: string, setup?: (dir: string) => void) {
  const dir = testdir({ ...tree, ".dockerignore": ignore }).path;
  setup?.(dir);
  const ours = withoutIgnoreFile(dtContext(dir));
  expect(withoutIgnoreFile(dockerContext(dir))).toEqual(ours);
  return { ours, dir };
}

/** compare(), then also through dt's tar and the Engine API. */
async function compareWithEngine(tree: Record<string, string>, ignore: string, setup?: (dir: string) => void) {
  const { ours, dir } = compare(tree, ignore, setup);
  expect(withoutIgnoreFile(await engineContext(dir))).toEqual(ours);
  return ours;
}

const asset = (name: string) => readFileSync(join(import.meta.dir, "../../assets/templates/devops/docker_build", name), "utf8");

const PYTHON_PROJECT: Record<string, string> = {
  "changelog.txt": "# p-1.0.0\n- 2026-01-01\n- x\n",
  "pyproject.toml": "[project]\n",
  "poetry.lock": "",
  "README.md": "# p\n",
  "src/app/__init__.py": "",
  "src/app/main.py": "print(1)\n",
  "src/app/__pycache__/main.cpython-312.pyc": "x",
  "src/app/sub/__pycache__/x.pyc": "x",
  "src/app/stray.pyc": "x",
  "tests/test_main.py": "def test(): pass\n",
  "tests/.pytest_cache/v/cache": "x",
  ".pytest_cache/README.md": "x",
  ".git/HEAD": "ref\n",
  ".git/objects/ab/cdef": "x",
  "vendor/lib/.git": "gitdir: ../../.git/modules/lib\n",
  "vendor/lib/code.py": "",
  ".env": "A=1\n",
  "config/.env": "B=2\n",
  "keys/server.pem": "k",
  "server.pem": "k",
  "id_rsa": "k",
  "home/id_rsa.pub": "k",
  ".dt/reports/x.xml": "x",
  ".venv/bin/python": "x",
  "devops/docker_build/dev.Dockerfile": "FROM x\n",
  "devops/docker_build/install.sh": "#!/bin/sh\n",
  "devops/docker_run/entrypoint.sh": "#!/bin/sh\n",
  "empty-dir/": "",
};

const makeExecutable = (dir: string) => {
  chmodSync(join(dir, "devops/docker_build/install.sh"), 0o755);
  chmodSync(join(dir, "devops/docker_run/entrypoint.sh"), 0o750);
};

describe("collectContext matches `docker build`", () => {
  test("the embedded prod dockerignore on a Python project (also through dt's tar)", async () => {
    const ours = await compareWithEngine(PYTHON_PROJECT, asset("dockerignore.prod"), makeExecutable);
    // Sanity: the comparison is about something.
    expect(ours).toContain("F src/app/main.py 644");
    expect(ours).toContain("F devops/docker_build/install.sh 755");
    expect(ours.some((l) => l.includes(".git") || l.includes("__pycache__") || l.includes(".pem"))).toBe(false);
  });

  test("the embedded dev dockerignore (everything but devops/ and the project files)", () => {
    const { ours } = compare(PYTHON_PROJECT, asset("dockerignore.dev"), makeExecutable);
    expect(ours).toContain("F pyproject.toml 644");
    expect(ours.some((l) => l.startsWith("F src/"))).toBe(false);
  });

  test("exceptions below excluded dirs, reached only through their text", () => {
    const tree = {
      "top.py": "",
      "lib/a.py": "",
      "src/a.py": "",
      "src/keep/x.txt": "",
      "src/keep/y.md": "",
      "src/keep/deeper/z.txt": "",
      "build/out.o": "",
      "build/keep.txt": "",
      "build/sub/keep.txt": "",
      "logs/a.log": "",
      "logs/sub/b.log": "",
    };
    const { ours } = compare(tree, "*\n!**/*.py\n!src/keep/*.txt\n!build\nbuild/*\n!build/keep.txt\nlogs/**\n");
    // `!**/*.py` matches lib/a.py, but Docker never walks into the excluded lib/ for it; it
    // does walk src/ (for `!src/keep/*.txt`), and there `!**/*.py` re-includes src/a.py.
    expect(ours).not.toContain("F lib/a.py 644");
    expect(ours).toContain("F src/a.py 644");
    expect(ours).toContain("F src/keep/x.txt 644");
  });

  test("the order quirks: a skipped pattern is not inherited, last match wins otherwise", () => {
    compare(
      { "a/b/f": "", "a/c": "", "x.md": "", "README.md": "", "README-secret.md": "", "docs/x.md": "" },
      "a\n!a/b\na\n*.md\n!README*.md\nREADME-secret.md\n",
    );
  });

  test("globs: classes, ?, ** in all positions, escapes", () => {
    compare(
      {
        "a/b": "",
        "aqb": "",
        "axb": "",
        "xfoo": "",
        "foo.d/x": "",
        "barbaz": "",
        "q/r/s/t.tmp": "",
        "q/t.tmp": "",
        "t.tmp": "",
        "1.txt": "",
        "12.txt": "",
        "b.log": "",
        "d.log": "",
        "*star": "",
        "plain": "",
        "m/n/o/p": "",
        "m/p": "",
      },
      "a[^x]b\n**foo\nbar**\n**/*.tmp\n?.txt\n[a-c].log\n\\*star\nm/**/p\n",
    );
  });

  test("normalisation: slashes, dots, spaces, comments", () => {
    compare(
      {
        "root-only": "",
        "sub/root-only": "",
        "dot/x": "",
        "dot/y": "",
        "up": "",
        "spaced.txt": "",
        "# not a comment": "",
        "dir/file": "",
        "x/dir/file": "",
        "keep": "",
      },
      "#comment\n/root-only\n./dot/x\nsub/../up\n   spaced.txt   \n # not a comment\ndir/\n\n!  keep\n",
    );
  });

  test("symlinks are copied as links, never followed (also through dt's tar)", async () => {
    const outside = testdir({ "secret.txt": "s", "d/f": "f" }).path;
    await compareWithEngine({ "real/file.txt": "x", "ignored-target/x": "" }, "ignored-link\n", (dir) => {
      symlinkSync(join(outside, "secret.txt"), join(dir, "to-outside-file"));
      symlinkSync(join(outside, "d"), join(dir, "to-outside-dir"));
      symlinkSync("real", join(dir, "to-real"));
      symlinkSync("nowhere", join(dir, "dangling"));
      symlinkSync("real/file.txt", join(dir, "ignored-link"));
      writeFileSync(join(dir, "real/exec"), "#!/bin/sh\n", { mode: 0o755 });
    });
  });
});

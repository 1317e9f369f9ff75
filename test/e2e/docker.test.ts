// dt docker build|cmd|bash|ps|clean and dt version check on the real engine.
// Each test runs alone too (`-t NAME`): the images every test needs are built in beforeAll,
// and a test that changes the workspace puts it back.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtArgv, dtJson, type DtResult } from "../support/dt.ts";
import { killStragglers, spawnDt, stop, waitForStderr, waitUntil } from "../support/background.ts";
import { docker, dtContainersOf, imageId, imageLabels, removeImages } from "../support/docker.ts";
import { localTag } from "../support/tags.ts";
import { STAND_IN_JUPYTER } from "../support/jupyter-stand-in.ts";
import { testbed } from "../support/testbed.ts";

setDefaultTimeout(120_000);

const USER = "dttest";
const env = { USER };
const repos: string[] = [];
let root = "";
/** The two local builds of beforeAll, asserted by the first test. */
const builds: { dir: string; result: DtResult; json: any }[] = [];

function runnable(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`${name}/changelog.txt`]: `# ${name}-0.2.0\n- 2026-11-20\n- Second\n\n# ${name}-0.1.0\n- 2026-11-01\n- First\n`,
    [`${name}/devops/docker_build/os_packages.txt`]: "# none\n",
    [`${name}/src/app.py`]: `NAME = "${name}"\n`,
    ...extra,
  };
}

beforeAll(async () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const image = (n: string) => `dtt-${suffix}-${n}`;
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: dtt\nbase_image: ${testbed().images.pybase}\n`,
    ...runnable("alpha", {
      "alpha/dt.yaml": `image: ${image("alpha")}\n`,
      "alpha/secret.pem": "-----BEGIN KEY-----\n",
      "alpha/notes.tmp": "scratch\n",
      "alpha/devops/docker_build/dockerignore.prod": ".git\n*.tmp\n*.pem\n",
    }),
    ...runnable("beta", { "beta/dt.yaml": `image: ${image("beta")}\n` }),
  });
  repos.push(image("alpha"), image("beta"));
  for (const dir of ["alpha", "beta"]) {
    builds.push({ dir, ...(await dtJson(["docker", "build", "--json"], { cwd: join(root, dir), env })) });
  }
}, 300_000);

afterEach(killStragglers);

afterAll(async () => {
  await removeImages(repos);
  cleanupAll();
});

/** Removes the workspace's containers; for `finally`, so that a failed test leaves none behind. */
async function removeContainersOf(workspace: string): Promise<void> {
  for (const c of await dtContainersOf(workspace)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
}

const alpha = () => join(root, "alpha");

describe("dt docker build", () => {
  test("two runnable dirs give two images with the right tags and labels", async () => {
    expect(builds.map((b) => [b.dir, b.result.code, b.json.skipped])).toEqual([
      ["alpha", 0, false],
      ["beta", 0, false],
    ]);
    for (const [i, dir] of ["alpha", "beta"].entries()) {
      const repo = repos[i]!;
      const labels = await imageLabels(`${repo}:${localTag(root, USER, "0.2.0")}`);
      expect(labels).toBeDefined();
      expect(await imageId(`${repo}:${localTag(root, USER)}`)).toBe((await imageId(`${repo}:${localTag(root, USER, "0.2.0")}`))!);
      expect(labels!["org.opencontainers.image.version"]).toBe("0.2.0");
      expect(labels!["org.opencontainers.image.revision"]).toBe(git(root, ["rev-parse", "HEAD"]));
      expect(labels!["org.opencontainers.image.title"]).toBe(repo);
      expect(labels!["org.opencontainers.image.created"]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(labels!["dev.dt.runnable-dir"]).toBe(dir);
      expect(labels!["dev.dt.stage"]).toBe("local");
      expect(labels!["dev.dt.context-digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  // unit: build-image.test.ts "the Dockerfile is built without labels ..."; label-dockerfile.test.ts
  test("dt's labels go on in one step after the Dockerfile's own, read back exactly from a path with quotes, $ and a backslash", async () => {
    const name = `${repos[0]}-labels`;
    const ws = makeRepo(join(testdir().path, `it's "q" $HOME \\b wörk`), {
      "dt.yaml": `name: ${name}\nbase_image: ${testbed().images.busybox}\n`,
      "changelog.txt": `# ${name}-0.1.0\n- 2026-11-01\n- First\n`,
      "devops/.keep": "",
    });
    repos.push(name);
    const r = await dt(["docker", "build"], { cwd: ws, env });
    expect(r.code).toBe(0);
    // The classic builder makes a step (a container made and committed) of each /build label.
    expect(r.stderr).not.toMatch(/Step \d+\/\d+ : LABEL/);
    expect(r.stderr).toMatch(/^build local: labelling the image \(1\d labels\)$/m);
    const tag = `${name}:${localTag(ws, USER, "0.1.0")}`;
    const labels = await imageLabels(tag);
    expect(labels!["dev.dt.workspace"]).toBe(ws);
    expect(labels!["dev.dt.stage"]).toBe("local");
    expect(labels!["org.opencontainers.image.version"]).toBe("0.1.0");
    // The image without them is its untagged parent, removed with it.
    const parent = (await docker.getImage(tag).inspect()).Parent;
    const info = await docker.getImage(parent).inspect();
    expect(info.RepoTags ?? []).toEqual([]);
    expect(info.Config.Labels?.["dev.dt.workspace"]).toBeUndefined();
  });

  // unit: build-image.test.ts "an image with ONBUILD triggers is not built FROM for its labels ..."
  test("an image with ONBUILD triggers keeps them: its labels go on in the same build, the triggers never run", async () => {
    const name = `${repos[0]}-onbuild`;
    const ws = makeRepo(join(testdir().path, "onbuild"), {
      "dt.yaml": `name: ${name}\nbase_image: ${testbed().images.busybox}\n`,
      "changelog.txt": `# ${name}-0.1.0\n- 2026-11-01\n- First\n`,
      "devops/docker_build/dev.Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nONBUILD RUN touch /onbuild-ran\n",
    });
    repos.push(name);
    const r = await dt(["docker", "build", "--no-cache"], { cwd: ws, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^build local: labelling the image \(1\d labels, a step each: it has ONBUILD triggers\)$/m);
    const info = await docker.getImage(`${name}:${localTag(ws, USER, "0.1.0")}`).inspect();
    expect(info.Config.OnBuild).toEqual(["RUN touch /onbuild-ran"]);
    expect(info.Config.Labels?.["dev.dt.workspace"]).toBe(ws);
    const ran = await dt(["docker", "cmd", "--", "test", "-e", "/onbuild-ran"], { cwd: ws, env });
    expect(ran.code).toBe(1);
  });

  test("dt ls shows which stages of the current version are built locally", async () => {
    const { result, json } = await dtJson(["ls", "--json"], { cwd: root, env });
    expect(result.code).toBe(0);
    expect(json.engineProblem).toBeNull();
    // beta: no test builds its prod image (alpha's prod test would change the answer).
    const betaDir = json.runnableDirs.find((d: { path: string }) => d.path === "beta");
    expect(betaDir.stages).toEqual({ local: true, dev: false, prod: false });
    // Another user's local tag is not this user's.
    const other = await dtJson(["ls", "--json"], { cwd: root, env: { USER: "someoneelse" } });
    expect(other.json.runnableDirs.find((d: { path: string }) => d.path === "beta").stages.local).toBe(false);
    const table = await dt(["ls"], { cwd: root, env });
    expect(table.stdout).toMatch(/^beta\s+\S+\s+0\.2\.0\s+local$/m);
  });

  test("building again is skipped and says so; touching a file in the context rebuilds", async () => {
    const before = await imageId(`${repos[0]}:${localTag(root, USER)}`);
    const again = await dt(["docker", "build"], { cwd: alpha(), env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("build skipped");
    expect(await imageId(`${repos[0]}:${localTag(root, USER)}`)).toBe(before!);
    const file = join(alpha(), "devops/docker_build/os_packages.txt");
    const later = new Date(Date.now() + 5000);
    require("node:fs").utimesSync(file, later, later);
    const rebuilt = await dtJson(["docker", "build", "--json"], { cwd: alpha(), env });
    expect(rebuilt.result.code).toBe(0);
    expect(rebuilt.json.skipped).toBe(false);
    expect(rebuilt.json.contextDigest).not.toBe((await imageLabels(`${repos[1]}:${localTag(root, USER)}`))!["dev.dt.context-digest"]);
  });

  test("a failing build step is exit 1 and shows the step and its output", async () => {
    const ws = makeRepo(join(testdir().path, "broken"), {
      "dt.yaml": `base_image: ${testbed().images.pybase}\n`,
      ...runnable("bad", { "bad/dt.yaml": `image: ${repos[0]}-bad\n`, "bad/devops/docker_build/os_packages.txt": "no-such-package-xyz\n" }),
      "bad/devops/docker_build/dev.Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo about to fail && exit 42\n",
    });
    repos.push(`${repos[0]}-bad`);
    const r = await dt(["docker", "build"], { cwd: join(ws, "bad"), env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("RUN echo about to fail && exit 42");
    expect(r.stderr).toContain("about to fail");
    expect(r.stderr).toMatch(/returned a non-zero code: 42/);
    // The error holds the step's own output, not the engine's bookkeeping of its containers.
    const error = r.stderr.slice(r.stderr.indexOf("error: "));
    expect(error).toContain("about to fail");
    expect(error).not.toContain("Removing intermediate container");
    expect(error).toContain("  fix: fix the step above");
  });
});

describe("dt docker cmd", () => {
  test("exit code, stdout and stderr are the command's own", async () => {
    const r = await dt(["docker", "cmd", "--", "sh", "-c", "echo out; echo err >&2; exit 7"], { cwd: alpha(), env });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    // Gone when dt returns, as with `docker run --rm` (not still "Removal In Progress").
    expect(await dtContainersOf(root)).toEqual([]);
    const input = await dt(["docker", "cmd", "--", "cat"], { cwd: alpha(), env, stdin: "piped in\n" });
    expect(input.stdout).toBe("piped in\n");
  });

  test("runs in the same path, in the current dir's counterpart, with the DT_* variables", async () => {
    const r = await dt(["docker", "cmd", "--", "sh", "-c", 'pwd; echo "$DT_WORKSPACE|$DT_TARGET_DIR|$DT_STAGE|$DT_VERSION"'], { cwd: join(alpha(), "src"), env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(alpha(), "src")}\n${root}|${alpha()}|local|0.2.0\n`);
  });

  test("as a non-root host user: the container runs as that uid, files it writes are that user's", async () => {
    const uid = 4321;
    const ws = join(testdir().path, "userws");
    mkdirSync(ws, { recursive: true });
    Bun.spawnSync(["cp", "-a", `${root}/.`, ws]);
    Bun.spawnSync(["chown", "-R", `${uid}:${uid}`, ws]);
    chmodSync(join(ws, ".."), 0o755);
    // A copy is another checkout: it has its own local images (SPEC, image identity).
    expect((await dt(["docker", "build"], { cwd: join(ws, "alpha"), env })).code).toBe(0);
    const dockerGid = statSync("/var/run/docker.sock").gid;
    const home = join(testdir().path, "home");
    mkdirSync(home);
    chownSync(home, uid, uid);
    const argv = ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, `--groups=${dockerGid}`, ...dtArgv(), "docker", "cmd", "--", "python3", "-c", "import os; print(os.getuid()); open('made-here.txt','w').write('x')"];
    const r = Bun.spawnSync(argv, { cwd: join(ws, "alpha"), env: { PATH: process.env.PATH, HOME: home, USER, NO_COLOR: "1", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString().trim()).toBe(String(uid));
    expect(statSync(join(ws, "alpha", "made-here.txt")).uid).toBe(uid);
  });

  test("after 'dt version bump minor' without a rebuild: exit 3, says to rebuild", async () => {
    const ws = join(testdir().path, "bumped");
    Bun.spawnSync(["cp", "-a", `${root}/.`, ws]);
    const cwd = join(ws, "beta");
    await dt(["docker", "build"], { cwd, env });
    expect((await dt(["docker", "cmd", "--", "true"], { cwd, env })).code).toBe(0);
    expect((await dt(["version", "check"], { cwd, env })).code).toBe(0);
    expect((await dt(["version", "bump", "minor", "-m", "New dep"], { cwd, env })).stdout.trim()).toBe("0.3.0");
    const r = await dt(["docker", "cmd", "--", "true"], { cwd, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("beta 0.3.0 is not built in this workspace");
    expect(r.stderr).toContain("this workspace has 0.2.0, which version_policy minor does not allow for the code's 0.3.0");
    expect(r.stderr).toContain("fix: dt docker build");
    expect((await dt(["version", "check"], { cwd, env })).code).toBe(3);
    expect((await dt(["docker", "cmd", "--skip-checks", "--", "true"], { cwd, env })).code).toBe(0);
  });

  test("dt docker bash: an interactive shell on a real pseudo-terminal, its exit code passed through", async () => {
    // script(1) gives dt a pty, as a terminal would; the shell reads the typed line from it.
    const proc = Bun.spawn(["script", "-qec", `${dtArgv().join(" ")} docker bash`, "/dev/null"], {
      cwd: alpha(),
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdin: new Blob(['echo "inside:$DT_STAGE:$(pwd)"; exit 5\n']),
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(5);
    expect(out).toContain(`inside:local:${alpha()}`);
    expect(await dtContainersOf(root)).toEqual([]);
  });

  test("a missing image is exit 3 naming the command that builds it", async () => {
    // Local images are per user: another login's build is not this user's image.
    const r = await dt(["docker", "cmd", "--", "true"], { cwd: alpha(), env: { USER: "nobody-built-this" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("alpha 0.2.0 is not built in this workspace");
    expect(r.stderr).toContain("fix: dt docker build");
  });

  test("the first word that is not a dt option starts the command: its flags are its own, -- still works", async () => {
    const version = await dt(["docker", "cmd", "python3", "--version"], { cwd: alpha(), env });
    expect(version.stderr).not.toContain("needs a value");
    expect(version.stdout).toMatch(/^Python 3\.\d+\.\d+\n$/);
    expect(version.code).toBe(0);
    const one = await dt(["docker", "cmd", "python3", "-c", "print(1)"], { cwd: alpha(), env });
    expect(one.stdout).toBe("1\n");
    expect(one.code).toBe(0);
    // dt's options (and globals) before the word are dt's; after it, even --help and -- are the command's.
    const mixed = await dt(["--quiet", "docker", "cmd", "--skip-checks", "sh", "-c", 'echo "$@"', "sh", "--help", "--verbose", "--", "x"], { cwd: alpha(), env });
    expect(mixed.stdout).toBe("--help --verbose -- x\n");
    expect(mixed.code).toBe(0);
    const dashed = await dt(["docker", "cmd", "--", "python3", "-c", "print(2)"], { cwd: alpha(), env });
    expect(dashed.stdout).toBe("2\n");
    const typo = await dt(["docker", "cmd", "--stag", "dev", "true"], { cwd: alpha(), env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--stag' for 'dt docker cmd'. Did you mean '--stage'?");
  });

  test("--stage prod with no prod release in the registry: exit 3, says so, fix: dt docker release prod", async () => {
    const registry = `${testbed().registry}/dtt-none-${Math.random().toString(36).slice(2, 8)}`;
    const r = await dt(["docker", "cmd", "--stage", "prod", "true"], { cwd: alpha(), env: { ...env, DT_REGISTRY: registry } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: alpha has no prod release in the registry: ${registry}/`);
    expect(r.stderr).toContain("fix: dt docker release prod");
    expect(r.stderr).not.toContain("manifest unknown: manifest unknown");
  });

  test("DOCKER_HOST that does not parse is exit 2 with the accepted forms; one that does not answer is exit 3; no runtime warning either way", async () => {
    const garbage = await dt(["docker", "ps"], { cwd: alpha(), env: { ...env, DOCKER_HOST: "garbage" } });
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toBe(
      "error: DOCKER_HOST=garbage is not an engine address\n  fix: set DOCKER_HOST to unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://USER@HOST, or unset it for the local engine\n",
    );
    // tcp:// loads dockerode, whose url.parse() Node flags as deprecated.
    for (const host of ["tcp://127.0.0.1:1", "tcp://no-such-engine.invalid:2375"]) {
      const r = await dt(["docker", "ps"], { cwd: alpha(), env: { ...env, DOCKER_HOST: host } });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`error: the Docker engine at ${host} is not reachable`);
      expect(r.stderr).toContain("  fix: ");
      expect(r.stderr).not.toContain("DeprecationWarning");
      expect(r.stderr).not.toContain("DEP0");
    }
  });

  const running = async () => (await dtContainersOf(root)).filter((c) => c.State === "running").length;

  test("SIGINT to 'dt docker cmd -- sleep 60' stops and removes the container, exit 130", async () => {
    const run = spawnDt(["docker", "cmd", "--", "sleep", "60"], { cwd: alpha(), env });
    try {
      await waitUntil("the container to run", 30_000, async () => (await running()) === 1);
      run.proc.kill("SIGINT");
      expect((await run.done).code).toBe(130);
      expect(await dtContainersOf(root)).toEqual([]);
    } finally {
      await stop(run);
    }
  });

  test("SIGKILL of dt leaves a labelled container that 'dt docker clean' removes", async () => {
    const run = spawnDt(["docker", "cmd", "--", "sleep", "60"], { cwd: alpha(), env });
    try {
      await waitUntil("the container to run", 30_000, async () => (await running()) === 1);
      run.proc.kill("SIGKILL");
      await run.done;
      const left = await dtContainersOf(root);
      expect(left.length).toBe(1);
      const ps = await dtJson(["docker", "ps", "--json"], { cwd: root, env });
      expect(ps.json.containers.map((c: any) => c.runnableDir)).toEqual(["alpha"]);
      const clean = await dt(["docker", "clean"], { cwd: root, env });
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain("removed container");
      expect(await dtContainersOf(root)).toEqual([]);
    } finally {
      // What dt docker clean failed to remove would fail every later test that counts containers.
      await stop(run);
      await removeContainersOf(root);
    }
  });

  test("--sibling: a client in the container starts a sibling that mounts a workspace path and sees the same files", async () => {
    const shared = join(alpha(), "shared.txt");
    const script = join(alpha(), "sibling.py");
    writeFileSync(shared, "seen by the sibling\n");
    writeFileSync(
      script,
      [
        "import http.client, json, os, socket, struct, sys",
        "class C(http.client.HTTPConnection):",
        "    def connect(self):",
        "        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect('/var/run/docker.sock')",
        "def call(method, path, body=None):",
        "    c = C('localhost'); c.request(method, path, json.dumps(body) if body else None, {'Content-Type': 'application/json'})",
        "    r = c.getresponse(); data = r.read(); return r.status, data",
        "ws = os.environ['DT_WORKSPACE']",
        `status, data = call('POST', '/containers/create', {'Image': '${testbed().images.busybox}', 'Cmd': ['cat', ws + '/alpha/shared.txt'], 'HostConfig': {'Binds': [ws + ':' + ws + ':ro'], 'NetworkMode': 'none'}})`,
        "cid = json.loads(data)['Id']",
        "call('POST', f'/containers/{cid}/start'); call('POST', f'/containers/{cid}/wait')",
        "status, logs = call('GET', f'/containers/{cid}/logs?stdout=1')",
        "call('DELETE', f'/containers/{cid}?force=1')",
        "out = b''",
        "while logs:",
        "    size = struct.unpack('>I', logs[4:8])[0]; out += logs[8:8 + size]; logs = logs[8 + size:]",
        "sys.stdout.write(out.decode())",
      ].join("\n"),
    );
    try {
      const r = await dt(["docker", "cmd", "--sibling", "--", "python3", "sibling.py"], { cwd: alpha(), env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("seen by the sibling\n");
    } finally {
      // They would be in alpha's prod context, which the prod tests build.
      rmSync(shared, { force: true });
      rmSync(script, { force: true });
    }
  });

  test("--dind asks for a privileged container; an engine that refuses one is exit 3 with the reason", async () => {
    const r = await dt(["docker", "cmd", "--dind", "--", "sh", "-c", "grep CapEff /proc/self/status; echo $DT_DIND"], { cwd: alpha(), env });
    if (r.code === 0) {
      expect(r.stdout).toMatch(/CapEff:\s+0*[13]f{9,}/);
      expect(r.stdout).toContain("\n1\n");
    } else {
      // This sandbox's engine cannot apply the capabilities of a privileged container.
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("--dind needs an engine that may start privileged containers");
    }
    expect(await dtContainersOf(root)).toEqual([]);
  });
});

// alpha's prod image, built once by whichever of the two tests that need it runs first.
let prodBuild: Promise<DtResult> | undefined;
const buildProd = () => (prodBuild ??= dt(["docker", "build", "--stage", "prod", "--from", "local"], { cwd: alpha(), env }));

describe("prod", () => {
  test("build --stage prod, then cmd --stage prod sees the copied code without the bind mount; .git and ignored files absent", async () => {
    const build = await buildProd();
    expect(build.stderr).toContain("built");
    expect(build.code).toBe(0);
    const labels = await imageLabels(`${repos[0]}:prod-0.2.0`);
    expect(labels!["dev.dt.stage"]).toBe("prod");
    const afterBuild = join(alpha(), "after-build.txt");
    writeFileSync(afterBuild, "not in the image\n");
    try {
      const r = await dt(["docker", "cmd", "--stage", "prod", "--", "sh", "-c", "pwd; ls -a; ls /tmp/dt-should-not-exist 2>/dev/null; test -e " + alpha() + " && echo MOUNTED || echo unmounted"], { cwd: alpha(), env });
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toBe("/app");
      expect(lines).toContain("src");
      expect(lines).toContain("changelog.txt");
      expect(lines).not.toContain(".git");
      expect(lines).not.toContain("secret.pem");
      expect(lines).not.toContain("notes.tmp");
      expect(lines).not.toContain("after-build.txt");
      expect(lines.at(-1)).toBe("unmounted");
    } finally {
      rmSync(afterBuild);
    }
  });
});

describe("dt docker images", () => {
  test("--json lists the target dir's images by stage and version", async () => {
    expect((await buildProd()).code).toBe(0);
    const { result, json } = await dtJson(["docker", "images", "--json"], { cwd: alpha(), env });
    expect(result.code).toBe(0);
    const stages = json.images.map((i: any) => `${i.stage}@${i.version}`);
    expect(stages).toContain("local@0.2.0");
    expect(stages).toContain("prod@0.2.0");
    for (const i of json.images) expect(i.arch).toBe("linux/amd64");
  });
});

describe("dt docker jupyter (a stand-in server: JupyterLab is not installable offline)", () => {
  test("an image without jupyter: exit 3 with how to add JupyterLab, and no URL for a server that never started", async () => {
    const r = await dt(["docker", "jupyter"], { cwd: alpha(), env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("error: JupyterLab is not in the image of alpha: no 'jupyter' on the container's PATH");
    expect(r.stderr).toContain("fix: add jupyterlab to the image: list it under [tool.poetry.dependencies] in alpha/pyproject.toml (poetry add jupyterlab), then dt docker build");
    expect(r.stderr).not.toContain("http://");
    expect(await dtContainersOf(root)).toEqual([]);
  });

  test("prints a URL with a fresh token once the server answers; it admits the token, refuses requests without it, and Ctrl-C removes the container", async () => {
    mkdirSync(join(root, "dev_scripts"), { recursive: true });
    writeFileSync(join(root, "dev_scripts", "jupyter"), STAND_IN_JUPYTER);
    chmodSync(join(root, "dev_scripts", "jupyter"), 0o755);
    const run = spawnDt(["docker", "jupyter"], { cwd: alpha(), env });
    try {
      const url = (await waitForStderr(run, /http:\/\/127\.0\.0\.1:\d+\/lab\?token=[0-9a-f]{48}/, 60_000))[0];
      // dt prints the URL before the server listens: poll until it answers.
      const status = await waitUntil("the stand-in server to answer", 60_000, () => fetch(url).then((r) => r.status).catch(() => 0));
      expect(status).toBe(200);
      expect(await fetch(url.replace(/token=.*/, "token=wrong")).then((r) => r.status)).toBe(403);
      run.proc.kill("SIGINT");
      expect((await run.done).code).toBe(130);
      expect(await dtContainersOf(root)).toEqual([]);
    } finally {
      // Also after a failed assertion: no `jupyter lab` container may outlive the test.
      await stop(run);
      await removeContainersOf(root);
      rmSync(join(root, "dev_scripts"), { recursive: true, force: true });
    }
  });
});

// Hostile or careless input from the repository itself: a git remote URL with a token in it,
// option-like values in .gitmodules, a .dt that is a symlink out of the workspace.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { docker, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, suffix } from "./helpers.ts";

setDefaultTimeout(180_000);

const sfx = suffix();
afterAll(async () => {
  // Only a failing run builds it (the .dt test expects the build refused).
  await removeImages([`dtsec-${sfx}-dot`]);
  cleanupAll();
});

describe("credentials in the git remote URL", () => {
  const TOKEN = `glpat-${sfx}-TOPSECRET`;
  const QUERY = `q-${sfx}-QUERYSECRET`;
  const SUB = `sub-${sfx}-SUBSECRET`;
  const image = `dtsec-${sfx}`;
  const registry = testbed().registry;
  let pushedTag = "";
  afterAll(async () => {
    await removeImages([image, `${registry}/${image}`]);
    // The pushed manifest too (both tags point at it): the registry is shared by every test.
    if (!pushedTag) return;
    const head = await fetch(`http://${registry}/v2/${image}/manifests/${pushedTag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
    }).catch(() => undefined);
    const digest = head?.headers.get("docker-content-digest");
    if (digest) await fetch(`http://${registry}/v2/${image}/manifests/${digest}`, { method: "DELETE" }).catch(() => {});
  });

  test("build, its labels and history, the pushed image, dt ls, dt subrepo ls and git errors carry neither the token nor the query", async () => {
    const ws = makeRepo(join(testdir().path, "app"), {
      "dt.yaml": `name: app\nimage: ${image}\nregistry: ${registry}\nbase_image: ${testbed().images.busybox}\n`,
      "changelog.txt": changelog("app"),
      "devops/.keep": "",
      // Declared only (never cloned): dt lists it from .gitmodules.
      ".gitmodules": `[submodule "helpers"]\n\tpath = helpers\n\turl = https://gitlab-ci-token:${SUB}@git.example.invalid/acme/helpers.git\n`,
    });
    // What a GitLab CI checkout's origin looks like, plus a token in the query.
    git(ws, ["remote", "add", "origin", `https://ci-bot:${TOKEN}@git.example.invalid/acme/app.git?private_token=${QUERY}`]);
    const env = { USER: "dttest" };
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await dt(args, { cwd: ws, env });
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    const build = await run(["--verbose", "docker", "build", "--json"]);
    expect(build.code).toBe(0);
    const name = JSON.parse(build.stdout).image as string;
    const inspect = await docker.getImage(name).inspect();
    expect(inspect.Config.Labels["org.opencontainers.image.source"]).toBe("https://git.example.invalid/acme/app.git");
    outputs.push(JSON.stringify(inspect), JSON.stringify(await docker.getImage(name).history()));

    const push = await run(["--verbose", "docker", "push", "--stage", "local", "--json"]);
    expect(push.code).toBe(0);
    // What the registry now holds: the manifest and the image config (labels and history).
    const tag = name.slice(name.lastIndexOf(":") + 1);
    pushedTag = tag;
    const manifest = await fetch(`http://${registry}/v2/${image}/manifests/${tag}`, {
      headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
    }).then((r) => r.json() as Promise<{ config: { digest: string } }>);
    const config = await fetch(`http://${registry}/v2/${image}/blobs/${manifest.config.digest}`).then((r) => r.text());
    expect(config).toContain("org.opencontainers.image.source");
    outputs.push(JSON.stringify(manifest), config);

    for (const args of [["ls", "--json"], ["ls"], ["subrepo", "ls", "--json"], ["subrepo", "ls"]]) expect((await run(args)).code).toBe(0);
    expect(outputs.at(-4)).toContain("https://git.example.invalid/acme/helpers.git");

    // A URL with a password is refused before git writes it into .gitmodules; a failing clone's
    // error shows the URL without its user.
    const withPassword = await run(["subrepo", "add", `https://bot:${TOKEN}@127.0.0.1:9/acme/x.git`, "libs/x"]);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain("carries a password or a query string");
    const failing = await run(["--verbose", "subrepo", "add", `https://bot@127.0.0.1:9/acme/y.git`, "libs/y"]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain("https://127.0.0.1:9/acme/y.git");
    expect(failing.stderr).not.toContain("bot@");

    for (const text of outputs) {
      for (const secret of [TOKEN, QUERY, SUB, "ci-bot:", "gitlab-ci-token:"]) expect(text.includes(secret) ? `${secret} in: ${text.slice(0, 300)}` : "").toBe("");
    }
  });
});

describe("option-like values in .gitmodules", () => {
  /**
   * A workspace whose sub-repo `helpers` has a local commit on main that was never pushed, and
   * is checked out detached one commit below it: what `dt subrepo pull` switches to a branch.
   */
  function setup(name: string) {
    const upstream = makeRepo(join(testdir().path, `${name}-up`), { "tracked.txt": "tracked\n", "lib/a.py": "A = 1\n" });
    const ws = makeRepo(join(testdir().path, name), { "README.md": "ws\n" });
    addSubmodule(ws, upstream, "helpers");
    const sub = join(ws, "helpers");
    git(sub, ["commit", "-q", "--allow-empty", "-m", "local work, not pushed"]);
    const unpushed = git(sub, ["rev-parse", "HEAD"]);
    git(sub, ["checkout", "-q", "--detach", "HEAD~1"]);
    const setBranch = (value: string) => git(ws, ["config", "-f", ".gitmodules", "submodule.helpers.branch", value]);
    return { ws, sub, unpushed, setBranch };
  }

  test("branch = -Cmain or --orphan=evil: exit 2 at .gitmodules:LINE, the local branch and every tracked file as they were", async () => {
    const { ws, sub, unpushed, setBranch } = setup("inject");
    const detachedAt = git(sub, ["rev-parse", "HEAD"]);
    for (const value of ["-Cmain", "--orphan=evil"]) {
      setBranch(value);
      const r = await dt(["subrepo", "pull"], { cwd: ws });
      // What git did with it, if anything, first: then the message.
      expect(git(sub, ["rev-parse", "refs/heads/main"])).toBe(unpushed);
      expect(git(sub, ["rev-parse", "HEAD"])).toBe(detachedAt);
      expect(git(sub, ["branch", "--list", "evil"])).toBe("");
      expect(existsSync(join(sub, "lib", "a.py"))).toBe(true);
      expect(readFileSync(join(sub, "tracked.txt"), "utf8")).toBe("tracked\n");
      expect(git(sub, ["status", "--porcelain"])).toBe("");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`.gitmodules:1: the branch ${JSON.stringify(value)} declared for helpers is not a valid branch name`);
    }
  });

  test("branch = main: the real 'git switch' (after --end-of-options) puts the sub-repo on main, the unpushed commit kept", async () => {
    const { ws, sub, unpushed, setBranch } = setup("legit");
    setBranch("main");
    const r = await dt(["subrepo", "pull", "--json"], { cwd: ws });
    expect(r.stderr).toContain("switched from detached HEAD");
    expect(r.code).toBe(0);
    expect(git(sub, ["symbolic-ref", "--short", "HEAD"])).toBe("main");
    expect(git(sub, ["rev-parse", "HEAD"])).toBe(unpushed);
  });

  test("dt subrepo add --branch with an option-like value is exit 2 before git runs", async () => {
    const upstream = makeRepo(join(testdir().path, "add-up"), { "x.txt": "x\n" });
    const ws = makeRepo(join(testdir().path, "add"), { "README.md": "ws\n" });
    const r = await dt(["subrepo", "add", upstream, "libs/x", "--branch=--orphan=evil"], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--branch "--orphan=evil" is not a valid branch name');
    expect(existsSync(join(ws, ".gitmodules"))).toBe(false);
    expect(existsSync(join(ws, "libs", "x"))).toBe(false);
  });
});

describe("a .dt that is a symlink", () => {
  test("sync, test and build refuse it with exit 2 naming the link, and write nothing where it points", async () => {
    const upstream = makeRepo(join(testdir().path, "dot-up"), { "pytest.ini": "[pytest]\n" });
    const ws = makeRepo(join(testdir().path, "dot"), {
      "dt.yaml": `name: dot\nimage: dtsec-${sfx}-dot\nbase_image: ${testbed().images.busybox}\nsync:\n  from: helpers_root\n  files: [pytest.ini]\n`,
      "changelog.txt": changelog("dot"),
      "devops/.keep": "",
    });
    addSubmodule(ws, upstream, "helpers_root");
    const outside = join(testdir().path, "elsewhere");
    mkdirSync(outside);
    const link = join(ws, ".dt");

    for (const target of [outside, "helpers_root"]) {
      symlinkSync(target, link);
      for (const args of [["sync"], ["test"], ["docker", "build"]]) {
        const r = await dt(args, { cwd: ws, env: { USER: "dttest" } });
        expect(`${args.join(" ")}: ${r.code}`).toBe(`${args.join(" ")}: 2`);
        expect(r.stderr).toContain(`${link} is a symlink (to ${target})`);
      }
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(join(ws, "helpers_root", "sync.lock"))).toBe(false);
      rmSync(link);
    }

    // A real .dt with a link below it, where reports go.
    mkdirSync(link);
    symlinkSync(outside, join(link, "reports"));
    const r = await dt(["test"], { cwd: ws, env: { USER: "dttest" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(link, "reports")} is a symlink`);
    expect(readdirSync(outside)).toEqual([]);
    rmSync(join(link, "reports"));

    // Without links, the same sync just works.
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    expect(lstatSync(join(link, "sync.lock")).isFile()).toBe(true);
  });
});

// Build-context safety on the real engine: links into the workspace carry their target's
// content, links out of it are refused before anything is sent; secrets and dt's own state stay out of prod images even when the user's
// dockerignore.prod forgets them (unless un-ignored with '!'); large files are named.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { dtContainersOf, imageId, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, suffix } from "./helpers.ts";

setDefaultTimeout(300_000);

const sfx = suffix();
const env = { USER: "dttest" };
const images: string[] = [];
const SECRET = `outside-secret-${sfx}`;

afterAll(async () => {
  await removeImages(images);
  cleanupAll();
});

/** A workspace whose root is the runnable dir (so the repo's own .git is inside the context). */
function workspace(name: string, files: Record<string, string>): string {
  const image = `dtctx-${sfx}-${name}`;
  images.push(image);
  return makeRepo(join(testdir().path, name), {
    "dt.yaml": `name: ${image}\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": changelog(name),
    "devops/.keep": "",
    "app.py": "print('app')\n",
    ...files,
  });
}

/** Builds local then prod (FROM local); returns the prod build's result. */
async function buildProd(root: string) {
  const local = await dt(["docker", "build"], { cwd: root, env });
  expect(local.code).toBe(0);
  const prod = await dt(["docker", "build", "--stage", "prod", "--from", "local"], { cwd: root, env });
  expect(prod.stderr).toContain("✓ built");
  expect(prod.code).toBe(0);
  return prod;
}

/** Runs a shell line in the prod container (no workspace mount: only what the image holds). */
const inProd = (root: string, script: string) => dt(["docker", "cmd", "--stage", "prod", "--", "sh", "-c", script], { cwd: root, env });

describe("links: into the workspace resolved (tar -h), out of it refused before the engine gets a byte", () => {
  let root = "";
  let outside = "";

  beforeAll(async () => {
    outside = testdir().path;
    writeFileSync(join(outside, "secret.txt"), `${SECRET}\n`);
    mkdirSync(join(outside, "dir"));
    writeFileSync(join(outside, "dir", "inner.txt"), `${SECRET}-inner\n`);
    root = workspace("links", { "sub/data.txt": "inside\n" });
    // The outside file sits next to the workspace too, for the relative escapes.
    writeFileSync(join(root, "..", "sibling-secret.txt"), `${SECRET}-sibling\n`);
    symlinkSync("sub/data.txt", join(root, "inside-link"));
    symlinkSync("sub", join(root, "inside-dir-link"));
    await buildProd(root);
  });

  test("a link inside the workspace is in the image as its target's content, not as a link", async () => {
    const r = await inProd(root, "test -L inside-link || test -L inside-dir-link && echo link; cat inside-link inside-dir-link/data.txt");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("inside\ninside\n");
  });

  const escapes: [string, (root: string) => string][] = [
    ["abs-link", () => join(outside, "secret.txt")],
    ["abs-dir-link", () => join(outside, "dir")],
    ["rel-escape", () => "../sibling-secret.txt"],
    ["sub/deep-escape", () => "../../sibling-secret.txt"],
    ["up", () => ".."],
  ];
  for (const [link, targetOf] of escapes) {
    test(`${link}: the prod build is refused (exit 2) naming the link; nothing of what it points at is sent or shown`, async () => {
      const at = join(root, link);
      symlinkSync(targetOf(root), at);
      try {
        const before = await imageId(`dtctx-${sfx}-links:prod-1.0.0`);
        const r = await dt(["docker", "build", "--stage", "prod", "--from", "local", "--no-cache"], { cwd: root, env });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${link} -> ${targetOf(root)}`);
        expect(r.stderr).toContain("outside the workspace");
        expect(r.stderr).not.toContain(SECRET);
        expect(await imageId(`dtctx-${sfx}-links:prod-1.0.0`)).toBe(before);
      } finally {
        rmSync(at);
      }
    });
  }
});

describe("prod contexts keep secrets and dt's state out, whatever dockerignore.prod says", () => {
  const files = {
    ".env": "TOKEN=1\n",
    "config/.env": "TOKEN=2\n",
    "key.pem": "-----BEGIN KEY-----\n",
    "certs/server.pem": "-----BEGIN CERT-----\n",
    "keep.pem": "-----BEGIN PUBLIC-----\n",
    id_rsa: "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "id_rsa.pub": "ssh-rsa AAAA\n",
    "home/id_rsa_backup": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "debug.log": "log\n",
    "src/main.py": "print('main')\n",
  };

  test("a user dockerignore.prod that lists none of them: .git, .env, *.pem, id_rsa*, .dt/ are absent; '!' lines win", async () => {
    const root = workspace("secrets", {
      ...files,
      // Lists none of dt's defaults; un-ignores one .pem file and the root .env explicitly.
      "devops/docker_build/dockerignore.prod": "*.log\n!keep.pem\n",
    });
    mkdirSync(join(root, ".dt", "reports"), { recursive: true });
    writeFileSync(join(root, ".dt", "reports", "x.xml"), "<testsuites/>\n");
    await buildProd(root);
    const r = await inProd(root, "find . | sort");
    expect(r.code).toBe(0);
    const found = r.stdout.trim().split("\n").map((p) => p.replace(/^\.\/?/, ""));
    for (const gone of [".git", ".env", "config/.env", "key.pem", "certs/server.pem", "id_rsa", "id_rsa.pub", "home/id_rsa_backup", ".dt", "debug.log"]) {
      expect({ gone, present: found.includes(gone) }).toEqual({ gone, present: false });
    }
    expect(found.filter((p) => p.startsWith(".git/") || p.startsWith(".dt/"))).toEqual([]);
    for (const kept of ["app.py", "src/main.py", "keep.pem", "changelog.txt", "config", "certs", "home"]) {
      expect({ kept, present: found.includes(kept) }).toEqual({ kept, present: true });
    }
  });

  test("an explicit '!.env' brings the root .env back (and only it)", async () => {
    const root = workspace("unignored", { ...files, "devops/docker_build/dockerignore.prod": "!.env\n" });
    await buildProd(root);
    const r = await inProd(root, "ls -a . config");
    expect(r.stdout).toMatch(/^\.env$/m);
    expect(r.stdout.split("config:")[1]).not.toContain(".env");
  });

  test("an invalid line in dockerignore.prod is still reported at its own line number", async () => {
    const root = workspace("badignore", { "devops/docker_build/dockerignore.prod": "# comment\n*.log\n[z-a\n" });
    git(root, ["add", "-A"]);
    // Code and stderr compared together, so that a failure shows what dt said.
    const local = await dt(["docker", "build"], { cwd: root, env });
    expect({ code: local.code, stderr: local.stderr }).toEqual({ code: 0, stderr: expect.stringContaining("✓ built") });
    const prod = await dt(["docker", "build", "--stage", "prod", "--from", "local"], { cwd: root, env });
    expect({ code: prod.code, stderr: prod.stderr }).toEqual({ code: 2, stderr: expect.stringContaining("devops/docker_build/dockerignore.prod:3") });
  });
});

describe("large files", () => {
  test("a 60 MB file in the context is named in a warning on dt docker build's stderr", async () => {
    const root = workspace("large", {});
    // Sparse: 60 MB on paper, nothing on disk.
    Bun.spawnSync(["truncate", "-s", "60M", join(root, "model.bin")]);
    const prod = await buildProd(root);
    expect(prod.stderr).toMatch(/model\.bin is 60 MB/);
    expect(prod.stderr).toContain("dockerignore.prod");
    expect(await dtContainersOf(root)).toEqual([]);
  });
});

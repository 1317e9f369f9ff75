// dt run by a uid that has no passwd entry, with HOME unset (CI sandboxes, `docker run --user`):
// Bun's os.homedir() and os.userInfo() throw there. Engine commands used to print a dump of
// the bundle and then spin at full CPU until killed. Now they work without a home (no Docker
// config: anonymous registries only), and what needs one says so.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import type { DtResult } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { asOtherUser, giveToOtherUser, killOtherUserRuns, OTHER_UID } from "./as-user.ts";
import { changelog, suffix } from "./helpers.ts";

const sfx = suffix();
const image = `dtnohome-${sfx}`;
const registry = testbed().registry;
let root = "";
/** Tags this file pushed, deleted again at the end. */
const pushed: string[] = [];

beforeAll(() => {
  root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: ${image}\nregistry: ${registry}\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": changelog(image),
    "devops/.keep": "",
    "tools/dt.yaml": `image: ${image}-tools\ndocker: {volumes: ['~/.aws:/home/dt/.aws:ro']}\n`,
    "tools/changelog.txt": changelog("tools"),
    "tools/devops/.keep": "",
  });
  chmodSync(dirname(root), 0o755);
  giveToOtherUser(root);
});

afterAll(async () => {
  killOtherUserRuns();
  await removeImages([image, `${registry}/${image}`, `${image}-tools`, `${registry}/${image}-tools`]);
  // The tags this test pushed, so the registry is as it was.
  for (const tag of pushed) {
    const head = await fetch(`http://${registry}/v2/${image}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
    });
    const digest = head.headers.get("docker-content-digest");
    if (head.ok && digest) await fetch(`http://${registry}/v2/${image}/manifests/${digest}`, { method: "DELETE" });
  }
  cleanupAll();
});

/** dt as a uid without a passwd entry, without HOME. */
const homeless = (args: string[], cwd = root) => asOtherUser(args, cwd);

const NO_CRASH = (r: DtResult) => {
  const said = r.stdout + r.stderr;
  expect(said).not.toContain("uv_os_homedir");
  expect(said).not.toContain("internal error");
  expect(said).not.toContain("@bun");
};

describe("no passwd entry and no HOME", () => {
  test(
    "the uid really has no passwd entry",
    () => {
      const r = Bun.spawnSync(["getent", "passwd", String(OTHER_UID)]);
      expect(r.exitCode).toBe(2);
    },
    5_000,
  );

  test(
    "doctor, build, cmd, ps, push and clean work (no Docker config: the open registry needs none), quickly",
    async () => {
      const doctor = await homeless(["doctor"]);
      NO_CRASH(doctor);
      // It used to spin until killed.
      expect(doctor.ms).toBeLessThan(5_000);
      expect(doctor.stdout + doctor.stderr).toContain("engine: Docker");
      const build = await homeless(["docker", "build"]);
      NO_CRASH(build);
      expect(build.code).toBe(0);
      // USER is unset too: the tag's user part comes from the uid.
      expect(build.stderr).toContain(`${image}:local-uid${OTHER_UID}-`);
      const cmd = await homeless(["docker", "cmd", "--", "sh", "-c", "id -u; echo ran"]);
      NO_CRASH(cmd);
      expect({ code: cmd.code, stdout: cmd.stdout }).toEqual({ code: 0, stdout: `${OTHER_UID}\nran\n` });
      const ps = await homeless(["docker", "ps"]);
      NO_CRASH(ps);
      expect(ps.code).toBe(0);
      const push = await homeless(["docker", "push", "--stage", "local"]);
      NO_CRASH(push);
      expect(push.code).toBe(0);
      // Each tag once, however often the output names it (pushed, then the floating tag's move).
      pushed.push(...new Set([...push.stderr.split("✓ pushed")[1]!.matchAll(/:(local-uid\d+-[0-9a-f]{8}(?:-0\.1\.0)?)\b/g)].map((m) => m[1]!)));
      expect(pushed.length).toBe(2);
      const clean = await homeless(["docker", "clean"]);
      NO_CRASH(clean);
      expect(clean.code).toBe(0);
    },
    // Six engine calls, two of them a build and a push: under the suite's load on a slow
    // 2-core machine one build alone took more than 15 s.
    120_000,
  );

  test(
    "a docker.volumes entry with ~ is exit 3 saying there is no home, not a crash",
    async () => {
      const build = await homeless(["docker", "build"], join(root, "tools"));
      expect(build.code).toBe(0);
      const r = await homeless(["docker", "cmd", "--", "true"], join(root, "tools"));
      NO_CRASH(r);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/docker\.volumes entry ~\/\.aws:\/home\/dt\/\.aws:ro starts with ~, and this user has no home directory \(HOME is unset, and uid 54321 has no passwd entry\)/);
      expect(r.stderr).toContain("fix: set HOME");
    },
    60_000,
  );
});

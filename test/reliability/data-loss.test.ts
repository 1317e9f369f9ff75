// Writes that must not lose data: a full disk (a real tmpfs) leaves every file as it was and
// says so; eight bumps at once all land, also over a lock left by a dead process; a linked,
// read-only or CRLF changelog keeps what it is; two builds of one dir at once agree on the image.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { addSubmodule, cleanupAll, git, makeRepo, testdir } from "../support/fixtures.ts";
import { dt } from "../support/dt.ts";
import { docker, imageId, removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { changelog, killStragglers, spawnDt, suffix, tempLeftovers } from "./helpers.ts";

setDefaultTimeout(120_000);

afterEach(killStragglers);
afterAll(cleanupAll);

/** A changelog of about `kb` KB: many entries, newest first, each with a few notes. */
function bigChangelog(name: string, kb: number): string {
  const entries: string[] = [];
  let size = 0;
  for (let minor = 999; size < kb * 1024; minor--) {
    const notes = Array.from({ length: 4 }, (_, i) => `- Change ${i} of ${minor}: ${Math.random().toString(36).slice(2)} ${"x".repeat(40)}`);
    const entry = `# ${name}-1.${minor}.0\n- 2026-11-20\n${notes.join("\n")}\n\n`;
    entries.push(entry);
    size += entry.length;
  }
  return entries.join("");
}

/** The files dt may leave next to a changelog: none but the ones the test made. */
const strays = (dir: string) => readdirSync(dir).filter((n) => /dt-lock|takeover|\.tmp$/.test(n));

describe("a full disk (a 2 MB tmpfs)", () => {
  let mnt = "";
  let filler = "";

  beforeAll(() => {
    mnt = join(testdir().path, "small");
    mkdirSync(mnt);
    const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", mnt]);
    if (r.exitCode !== 0) throw new Error(`mount -t tmpfs failed (the reliability suite runs as root): ${r.stderr.toString()}`);
    filler = join(mnt, "filler");
  });

  afterAll(() => {
    if (!mnt) return;
    // Lazy as a fallback: a child still in the dir must not leave the mount behind.
    if (Bun.spawnSync(["umount", mnt]).exitCode !== 0) Bun.spawnSync(["umount", "-l", mnt]);
  });

  /** Fills the file system, then frees `free` bytes (tmpfs gives back whole pages). */
  function fill(free: number): void {
    rmSync(filler, { force: true });
    const fd = openSync(filler, "w");
    const chunk = Buffer.alloc(64 * 1024, 1);
    let size = 0;
    try {
      for (;;) {
        const n = writeSync(fd, chunk, 0, chunk.length);
        size += n;
        if (n < chunk.length) break;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
    }
    ftruncateSync(fd, Math.max(0, size - free));
    closeSync(fd);
  }

  test("dt version bump: exit 1 naming the device and the file, the 205 KB changelog byte for byte, no lock or temp file", async () => {
    rmSync(filler, { force: true });
    const ws = makeRepo(join(mnt, "bump"), { "changelog.txt": bigChangelog("app", 205), "devops/.keep": "" });
    const file = join(ws, "changelog.txt");
    const before = readFileSync(file);
    expect(before.length).toBeGreaterThan(200 * 1024);

    // Room for the lock (one page) but not the new changelog: the write used to stop at 4096 bytes.
    for (const free of [8192, 0]) {
      fill(free);
      const r = await dt(["version", "bump", "minor", "-m", "On a full disk"], { cwd: ws, timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const written = free ? file : `${file}.dt-lock`;
      expect(r.stderr).toContain(`no space left on tmpfs (mounted at ${mnt}) while writing ${written} (nothing was changed)`);
      expect(r.stderr).not.toContain("internal error");
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(strays(ws)).toEqual([]);
      expect(tempLeftovers(ws)).toEqual([]);
    }

    // With space again, the same command simply works.
    rmSync(filler);
    const ok = await dt(["version", "bump", "minor", "-m", "Space again"], { cwd: ws, timeoutMs: 30_000 });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe("1.1000.0");
    expect(readFileSync(file, "utf8").endsWith(before.toString("utf8"))).toBe(true);
  });

  test("dt sync: exit 1, the synced file and .dt/sync.lock as they were, no temp file", async () => {
    rmSync(filler, { force: true });
    const upstream = makeRepo(join(mnt, "helpers"), { "big.txt": "v1\n".repeat(60_000) });
    const ws = makeRepo(join(mnt, "sync"), { "dt.yaml": "name: ws\nsync:\n  from: helpers_root\n  files: [big.txt]\n" });
    addSubmodule(ws, upstream, "helpers_root");
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    const before = readFileSync(join(ws, "big.txt"));
    const lockBefore = readFileSync(join(ws, ".dt", "sync.lock"));
    const sub = join(ws, "helpers_root");
    writeFileSync(join(sub, "big.txt"), "v2\n".repeat(60_000));
    git(sub, ["commit", "-q", "-am", "v2"]);

    fill(8192);
    const r = await dt(["sync"], { cwd: ws, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no space left on tmpfs (mounted at ${mnt}) while writing ${join(ws, "big.txt")} (nothing was changed)`);
    expect(readFileSync(join(ws, "big.txt")).equals(before)).toBe(true);
    expect(readFileSync(join(ws, ".dt", "sync.lock")).equals(lockBefore)).toBe(true);
    expect(tempLeftovers(ws)).toEqual([]);
    rmSync(filler);
  });
});

describe("eight 'dt version bump' at once", () => {
  /** Runs `rounds` rounds of 8 bumps at once; `before` may plant a lock before each round. */
  async function rounds(ws: string, count: number, before: (round: number) => void = () => {}) {
    const file = join(ws, "changelog.txt");
    for (let round = 0; round < count; round++) {
      before(round);
      const old = parseChangelog(readFileSync(file, "utf8"));
      const notes = Array.from({ length: 8 }, (_, i) => `round ${round} bump ${i}`);
      const results = await Promise.all(notes.map((n) => spawnDt(["version", "bump", "patch", "-m", n, "--date", "2026-11-21"], { cwd: ws, timeoutMs: 30_000 }).done));
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
      const now = parseChangelog(readFileSync(file, "utf8"));
      expect(now.length).toBe(old.length + 8);
      // Eight distinct, consecutive versions, each printed by exactly one bump.
      const [major, minor, patch] = old[0]!.version.split(".").map(Number) as [number, number, number];
      const expected = Array.from({ length: 8 }, (_, i) => `${major}.${minor}.${patch + 8 - i}`);
      expect(now.slice(0, 8).map((e) => e.version)).toEqual(expected);
      expect(results.map((r) => r.stdout.trim()).sort()).toEqual([...expected].sort());
      expect(now.slice(0, 8).flatMap((e) => e.notes).sort()).toEqual([...notes].sort());
      expect(now.slice(8)).toEqual(old.map((e) => ({ ...e, line: e.line + now.slice(0, 8).reduce((n, x) => n + 2 + x.notes.length + 1, 0) })));
      expect(strays(ws)).toEqual([]);
    }
  }

  /** A pid that no process has any more. */
  function deadPid(): number {
    const p = Bun.spawnSync(["true"]);
    return p.pid;
  }

  test("20 rounds: every bump lands, with 8 distinct consecutive versions a round", async () => {
    const ws = makeRepo(join(testdir().path, "eight"), { "changelog.txt": changelog("conc", "1.0.0"), "devops/.keep": "" });
    await rounds(ws, 20);
  });

  test("20 rounds with a stale lock left before each (a killed bump, an older dt's, an empty one): all land", async () => {
    const ws = makeRepo(join(testdir().path, "stale"), { "changelog.txt": changelog("conc", "2.0.0"), "devops/.keep": "" });
    const lock = join(ws, "changelog.txt.dt-lock");
    const host = (await Bun.$`hostname`.text()).trim();
    await rounds(ws, 20, (round) => {
      const kind = round % 4;
      if (kind === 0) writeFileSync(lock, `${deadPid()} ${host} 0123456789abcdef01234567\n`);
      if (kind === 1) writeFileSync(lock, String(deadPid()));
      if (kind === 2) {
        // Created but never written (the writer died in between), long ago.
        writeFileSync(lock, "");
        const old = new Date(Date.now() - 60_000);
        utimesSync(lock, old, old);
      }
      if (kind === 3) {
        // A bump killed in the middle of taking over a dead one's lock: its marker is left too.
        const deadToken = "feedfacefeedfacefeedface";
        writeFileSync(lock, `${deadPid()} ${host} ${deadToken}\n`);
        writeFileSync(`${lock}.takeover-${deadToken}`, `${deadPid()} ${host} 00000000000000000000000a\n`);
      }
    });
  });
});

describe("a changelog that is a link, read-only, or CRLF with a BOM", () => {
  test("a symlink inside the workspace is written through and stays a link", async () => {
    const ws = makeRepo(join(testdir().path, "link"), { "docs/CHANGES.txt": changelog("app", "1.0.0"), "devops/.keep": "" });
    symlinkSync("docs/CHANGES.txt", join(ws, "changelog.txt"));
    const r = await dt(["version", "bump", "minor", "-m", "Through the link"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(lstatSync(join(ws, "changelog.txt")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(ws, "changelog.txt"))).toBe("docs/CHANGES.txt");
    expect(parseChangelog(readFileSync(join(ws, "docs/CHANGES.txt"), "utf8"))[0]!.version).toBe("1.1.0");
    expect(tempLeftovers(ws)).toEqual([]);
  });

  test("a link out of the workspace: exit 2 naming it, the outside file untouched", async () => {
    const outside = join(testdir().path, "CHANGES.txt");
    writeFileSync(outside, changelog("app", "1.0.0"));
    const ws = makeRepo(join(testdir().path, "out"), { "devops/.keep": "" });
    symlinkSync(outside, join(ws, "changelog.txt"));
    const r = await dt(["version", "bump", "minor", "-m", "Out"], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(ws, "changelog.txt")} is a symlink to ${outside}, which is outside ${ws}`);
    expect(readFileSync(outside, "utf8")).toBe(changelog("app", "1.0.0"));
  });

  test("modes 0440 and 0664 (under umask 022) are kept", async () => {
    for (const mode of [0o440, 0o664]) {
      const ws = makeRepo(join(testdir().path, `mode-${mode.toString(8)}`), { "changelog.txt": changelog("app", "1.0.0"), "devops/.keep": "" });
      chmodSync(join(ws, "changelog.txt"), mode);
      const r = await dt(["version", "bump", "patch", "-m", "Mode"], { cwd: ws });
      expect(r.code).toBe(0);
      expect(statSync(join(ws, "changelog.txt")).mode & 0o7777).toBe(mode);
    }
  });

  test("CRLF with a BOM: the BOM stays first, every line ends in CRLF, the old text byte for byte", async () => {
    const old = `\ufeff${changelog("app", "1.0.0").replaceAll("\n", "\r\n")}`;
    const ws = makeRepo(join(testdir().path, "crlf"), { "changelog.txt": old, "devops/.keep": "" });
    const r = await dt(["version", "bump", "patch", "-m", "Windows"], { cwd: ws });
    expect(r.code).toBe(0);
    const text = readFileSync(join(ws, "changelog.txt"), "utf8");
    expect(text.startsWith("\ufeff# app-1.0.1\r\n")).toBe(true);
    expect(text.replaceAll("\r\n", "").includes("\n")).toBe(false);
    expect(text.endsWith(old.slice(1))).toBe(true);
  });
});

describe("two 'dt docker build' of one dir at once", () => {
  const sfx = suffix();
  const image = `dtbuild2-${sfx}`;
  let ws = "";
  afterAll(async () => {
    await removeImages([image]);
    if (!ws) return;
    // What a failing run leaves: the untagged image of the losing build.
    for (const i of await docker.listImages({ filters: { label: [`dev.dt.workspace=${ws}`] } })) await docker.getImage(i.Id).remove({ force: true }).catch(() => {});
  });

  test("both exit 0 and report the image that is tagged; the second waits for the first; nothing dangles", async () => {
    ws = makeRepo(join(testdir().path, "build2"), {
      "dt.yaml": `name: ${image}\nbase_image: ${testbed().images.busybox}\n`,
      "changelog.txt": changelog("b", "1.0.0"),
      // A slow step, so the two builds overlap for sure.
      "devops/docker_build/dev.Dockerfile": `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN sleep 3 && echo ${sfx} > /built\n`,
    });
    const env = { USER: "dttest" };
    const [a, b] = await Promise.all([0, 1].map(() => spawnDt(["docker", "build", "--json"], { cwd: ws, env, timeoutMs: 90_000 }).done));
    for (const r of [a!, b!]) expect(r.code).toBe(0);
    const ids = [a!, b!].map((r) => JSON.parse(r.stdout).id as string);
    const tagged = await imageId(JSON.parse(a!.stdout).image);
    expect(ids).toEqual([tagged!, tagged!]);
    // One built it, the other found it built once it got its turn.
    expect([a!, b!].map((r) => JSON.parse(r.stdout).skipped).sort()).toEqual([false, true]);
    expect(a!.stderr + b!.stderr).toContain("waiting for another dt docker build of .");
    const dangling = await docker.listImages({ filters: { dangling: ["true"], label: [`dev.dt.workspace=${ws}`] } });
    expect(dangling).toEqual([]);
    expect(strays(join(ws, ".dt", "locks"))).toEqual([]);
  });

  test("a root dir whose dockerignore.dev lets everything in: the lock under .dt/ stays out of the context, so a rebuild skips", async () => {
    const root = makeRepo(join(testdir().path, "allin"), {
      "dt.yaml": `name: ${image}\nbase_image: ${testbed().images.busybox}\n`,
      "changelog.txt": changelog("b", "2.0.0"),
      "devops/docker_build/dockerignore.dev": "# everything\n",
      "devops/docker_build/dev.Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /ctx/\n",
    });
    const env = { USER: "dttest" };
    const first = await dt(["docker", "build", "--json"], { cwd: root, env });
    expect(first.code).toBe(0);
    const again = await dt(["docker", "build", "--json"], { cwd: root, env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).skipped).toBe(true);
    const listing = await dt(["docker", "cmd", "--", "ls", "-a", "/ctx"], { cwd: root, env });
    expect(listing.stdout).toContain("changelog.txt");
    expect(listing.stdout).not.toContain(".dt");
  });
});

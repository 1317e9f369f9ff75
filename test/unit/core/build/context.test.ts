import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract, type Header } from "tar-stream";
import {
  collectContext,
  contentDigest,
  contextDigest,
  INJECTED_MTIME_MS,
  LARGE_FILE_BYTES,
  type InjectedFile,
} from "../../../../src/core/build/context.ts";
import type { ContextEntry } from "../../../../src/core/build/context-entry.ts";
import { packContext } from "../../../../src/core/build/tar-writer.ts";
import { DtError } from "../../../../src/core/base/errors.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const PROJECT = {
  "changelog.txt": "# p-0.1.0\n- 2026-01-01\n- x\n",
  "pyproject.toml": "[project]\n",
  "src/app/__init__.py": "",
  "src/app/main.py": "print(1)\n",
  "src/app/__pycache__/main.cpython-312.pyc": "bytecode",
  ".git/HEAD": "ref: refs/heads/main\n",
  ".env": "SECRET=1\n",
  "devops/docker_build/dev.Dockerfile": "FROM own\n",
  "build/out.bin": "x",
  "build/keep.txt": "keep",
  "empty/": "",
};
const IGNORE = ".git\n**/__pycache__/\n.env\nbuild\n!build/keep.txt\n";

const paths = (entries: readonly ContextEntry[]) => entries.map((e) => e.path);
const ignore = (text: string) => ({ text, file: "devops/docker_build/dockerignore.prod" });

describe("collectContext", () => {
  test("leaves out what the ignore file excludes, walking excluded dirs only for exceptions", () => {
    const dir = testdir(PROJECT).path;
    const { entries, warnings } = collectContext(dir, ignore(IGNORE));
    expect(paths(entries)).toEqual([
      "build/keep.txt",
      "changelog.txt",
      "devops",
      "devops/docker_build",
      "devops/docker_build/dev.Dockerfile",
      "empty",
      "pyproject.toml",
      "src",
      "src/app",
      "src/app/__init__.py",
      "src/app/main.py",
    ]);
    expect(warnings).toEqual([]);
  });

  test("without an ignore file takes everything, .git included (as Docker does)", () => {
    const dir = testdir({ ".git/HEAD": "x", a: "1" }).path;
    expect(paths(collectContext(dir, null).entries)).toEqual([".git", ".git/HEAD", "a"]);
  });

  test("records type, mode, size, mtime and source", () => {
    const dir = testdir({ "bin/run.sh": "#!/bin/sh\necho hi\n" }).path;
    chmodSync(join(dir, "bin/run.sh"), 0o755);
    utimesSync(join(dir, "bin/run.sh"), 1_700_000_000, 1_700_000_000);
    const [bin, run] = collectContext(dir, null).entries;
    expect(bin).toMatchObject({ path: "bin", type: "dir", size: 0 });
    expect(run).toMatchObject({ path: "bin/run.sh", type: "file", mode: 0o755, size: 18, source: join(dir, "bin/run.sh") });
    expect(Math.floor(run!.mtimeMs)).toBe(1_700_000_000_000);
  });

  test("sorts by path with each dir directly before its contents, the same every time", () => {
    const dir = testdir({ "a-b": "", "a/x": "", "a/y/z": "", "a.c": "", b: "", "A": "" }).path;
    const first = paths(collectContext(dir, null).entries);
    expect(first).toEqual(["A", "a", "a/x", "a/y", "a/y/z", "a-b", "a.c", "b"]);
    expect(paths(collectContext(dir, null).entries)).toEqual(first);
  });

  test("packs symlinks as links and never follows them, even out of the context", () => {
    const outside = testdir({ "secret.txt": "no", "dir/inner.txt": "no" }).path;
    const dir = testdir({ "real/file.txt": "yes" }).path;
    symlinkSync(join(outside, "secret.txt"), join(dir, "to-outside-file"));
    symlinkSync(join(outside, "dir"), join(dir, "to-outside-dir"));
    symlinkSync("real", join(dir, "to-real"));
    symlinkSync("missing", join(dir, "dangling"));
    const { entries } = collectContext(dir, null);
    expect(entries.map((e) => [e.path, e.type, e.linkTarget ?? null])).toEqual([
      ["dangling", "symlink", "missing"],
      ["real", "dir", null],
      ["real/file.txt", "file", null],
      ["to-outside-dir", "symlink", join(outside, "dir")],
      ["to-outside-file", "symlink", join(outside, "secret.txt")],
      ["to-real", "symlink", "real"],
    ]);
  });

  test("an excluded symlink is left out like any file", () => {
    const dir = testdir({ a: "" }).path;
    symlinkSync("a", join(dir, "link"));
    expect(paths(collectContext(dir, ignore("link")).entries)).toEqual(["a"]);
  });

  test("warns about large files and special files instead of printing", () => {
    const dir = testdir({ "data/big.bin": "", "ok.txt": "x" }).path;
    // Sparse: 50 MB on paper, nothing on disk.
    truncateSync(join(dir, "data/big.bin"), LARGE_FILE_BYTES + 1);
    const fifo = Bun.spawnSync(["mkfifo", join(dir, "pipe")]);
    expect(fifo.exitCode).toBe(0);
    const { entries, warnings } = collectContext(dir, ignore("nothing"));
    expect(paths(entries)).toEqual(["data", "data/big.bin", "ok.txt"]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^data\/big\.bin is 50 MB.*dockerignore\.prod/);
    expect(warnings[1]).toMatch(/^pipe is not a regular file/);
  });

  test("an invalid ignore file is a usage error at file:line", () => {
    const dir = testdir({ a: "" }).path;
    let error: unknown;
    try {
      collectContext(dir, ignore("ok\n[oops\n"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtError);
    expect((error as DtError).where).toBe("devops/docker_build/dockerignore.prod:2");
    expect((error as DtError).exitCode).toBe(2);
  });
});

describe("collectContext: injected templates", () => {
  const TEMPLATES = new Map<string, InjectedFile>([
    ["devops/docker_build/dev.Dockerfile", { text: "FROM template\n", mode: 0o644 }],
    ["devops/docker_build/prod.Dockerfile", { text: "FROM dev\n", mode: 0o644 }],
    ["devops/docker_run/entrypoint.sh", { text: "#!/bin/sh\nexec \"$@\"\n", mode: 0o755 }],
  ]);

  test("fill in only the paths the dir has no file at; the dir's own file wins", () => {
    const dir = testdir(PROJECT).path;
    const { entries } = collectContext(dir, ignore(IGNORE), TEMPLATES);
    const devops = entries.filter((e) => e.path.startsWith("devops"));
    expect(devops.map((e) => [e.path, e.type, e.content ? "embedded" : "own"])).toEqual([
      ["devops", "dir", "own"],
      ["devops/docker_build", "dir", "own"],
      ["devops/docker_build/dev.Dockerfile", "file", "own"],
      ["devops/docker_build/prod.Dockerfile", "file", "embedded"],
      ["devops/docker_run", "dir", "own"],
      ["devops/docker_run/entrypoint.sh", "file", "embedded"],
    ]);
    const run = devops.find((e) => e.path === "devops/docker_run")!;
    expect(run).toMatchObject({ mode: 0o755, mtimeMs: INJECTED_MTIME_MS });
    expect(run.source).toBeUndefined();
    const entrypoint = devops.find((e) => e.path.endsWith("entrypoint.sh"))!;
    expect(entrypoint).toMatchObject({ mode: 0o755, size: 20, mtimeMs: INJECTED_MTIME_MS });
    expect(Buffer.from(entrypoint.content!).toString()).toBe('#!/bin/sh\nexec "$@"\n');
  });

  test("are never subject to the ignore file", () => {
    const dir = testdir({ "changelog.txt": "", "devops/.keep": "" }).path;
    const { entries } = collectContext(dir, ignore("*\n"), TEMPLATES);
    expect(paths(entries)).toEqual([
      "devops",
      "devops/docker_build",
      "devops/docker_build/dev.Dockerfile",
      "devops/docker_build/prod.Dockerfile",
      "devops/docker_run",
      "devops/docker_run/entrypoint.sh",
    ]);
    // devops/ itself exists on disk: it keeps its own metadata.
    expect(entries[0]!.source).toBe(join(dir, "devops"));
  });

  test("the dir's own file is packed even where the ignore file excludes it", () => {
    const dir = testdir({ "devops/docker_build/dev.Dockerfile": "FROM own\n" }).path;
    const { entries } = collectContext(dir, ignore("devops/docker_build/dev.Dockerfile\n"), TEMPLATES);
    const dev = entries.find((e) => e.path === "devops/docker_build/dev.Dockerfile")!;
    expect(dev.content).toBeUndefined();
    expect(dev.source).toBe(join(dir, "devops/docker_build/dev.Dockerfile"));
  });

  test("a directory where a template goes is a usage error", () => {
    const dir = testdir({ "devops/docker_build/dev.Dockerfile/": "" }).path;
    expect(() => collectContext(dir, null, TEMPLATES)).toThrow(/is a directory/);
  });
});

describe("contextDigest", () => {
  const digestOf = (dir: string, extra: Record<string, string> = {}, injected?: Map<string, InjectedFile>) =>
    contextDigest(collectContext(dir, ignore(IGNORE), injected).entries, extra);

  test("is stable for the same tree and inputs, and independent of the inputs' key order", () => {
    const dir = testdir(PROJECT).path;
    const d = digestOf(dir, { stage: "local", version: "1.0.0" });
    expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestOf(dir, { version: "1.0.0", stage: "local" })).toBe(d);
  });

  test("changes when a file is touched, rewritten, chmod-ed, added or removed", () => {
    const dir = testdir(PROJECT).path;
    const main = join(dir, "src/app/main.py");
    utimesSync(main, 1_700_000_000, 1_700_000_000);
    const seen = new Set([digestOf(dir)]);
    const expectNew = () => {
      const d = digestOf(dir);
      expect(seen.has(d)).toBe(false);
      seen.add(d);
    };
    utimesSync(main, 1_700_000_000, 1_700_000_000.5); // half a second later
    expectNew();
    writeFileSync(main, "print(2)\nprint(3)\n");
    expectNew();
    chmodSync(main, 0o755);
    expectNew();
    writeFileSync(join(dir, "src/new.py"), "");
    expectNew();
    Bun.spawnSync(["rm", join(dir, "src/new.py")]);
    expectNew();
  });

  test("ignores changes to excluded files", () => {
    const dir = testdir(PROJECT).path;
    const d = digestOf(dir);
    writeFileSync(join(dir, ".env"), "SECRET=2\n");
    writeFileSync(join(dir, "build/out.bin"), "changed");
    expect(digestOf(dir)).toBe(d);
  });

  test("reads metadata only: same size and mtime after an edit is the same digest", () => {
    const dir = testdir(PROJECT).path;
    const main = join(dir, "src/app/main.py");
    utimesSync(main, 1_700_000_000, 1_700_000_000);
    const d = digestOf(dir);
    writeFileSync(main, "print(9)\n");
    utimesSync(main, 1_700_000_000, 1_700_000_000);
    expect(digestOf(dir)).toBe(d);
  });

  test("changes with an extra input or an injected template's content", () => {
    const dir = testdir(PROJECT).path;
    const t1 = new Map([["devops/x.sh", { text: "a", mode: 0o755 }]]);
    const t2 = new Map([["devops/x.sh", { text: "b", mode: 0o755 }]]);
    const base = digestOf(dir, { buildArgs: "[]" }, t1);
    expect(digestOf(dir, { buildArgs: '[["A","1"]]' }, t1)).not.toBe(base);
    expect(digestOf(dir, { buildArgs: "[]", stage: "prod" }, t1)).not.toBe(base);
    expect(digestOf(dir, { buildArgs: "[]" }, t2)).not.toBe(base);
  });
});

describe("contentDigest", () => {
  const contentOf = (dir: string, extra: Record<string, string> = {}) => contentDigest(collectContext(dir, ignore(IGNORE)).entries, extra);

  // e2e: test-cache.test.ts "a second clone with its own images is served from the first clone's results"
  test("two copies written at different times (and under different umasks) agree; the context digest does not", () => {
    const a = testdir(PROJECT).path;
    const b = testdir(PROJECT).path;
    utimesSync(join(b, "src/app/main.py"), 1_700_000_000, 1_700_000_000);
    chmodSync(join(b, "pyproject.toml"), 0o664);
    expect(contentOf(b, { stage: "local" })).toBe(contentOf(a, { stage: "local" }));
    expect(contextDigest(collectContext(b, ignore(IGNORE)).entries)).not.toBe(contextDigest(collectContext(a, ignore(IGNORE)).entries));
  });

  test("changes with a file's bytes (same size and mtime too), its executable bit, a new file, or an extra input", () => {
    const dir = testdir(PROJECT).path;
    const main = join(dir, "src/app/main.py");
    utimesSync(main, 1_700_000_000, 1_700_000_000);
    const seen = new Set([contentOf(dir)]);
    const expectNew = (d: string) => {
      expect(seen.has(d)).toBe(false);
      seen.add(d);
    };
    writeFileSync(main, "print(9)\n");
    utimesSync(main, 1_700_000_000, 1_700_000_000);
    expectNew(contentOf(dir));
    chmodSync(main, 0o755);
    expectNew(contentOf(dir));
    writeFileSync(join(dir, "src/new.py"), "");
    expectNew(contentOf(dir));
    expectNew(contentOf(dir, { buildArgs: '[["A","1"]]' }));
  });
});

// ---------------------------------------------------------------- tar

interface ReadEntry {
  header: Header;
  body: Buffer;
}

async function readTar(stream: Readable): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (c: unknown) => chunks.push(c as Buffer));
      body.on("end", () => {
        out.push({ header, body: Buffer.concat(chunks) });
        next();
      });
    });
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  for await (const chunk of stream) ex.write(chunk);
  ex.end(undefined);
  await done;
  return out;
}

async function tarBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("packContext", () => {
  test("writes every entry with its mode, mtime, link target and root ownership", async () => {
    const dir = testdir({ "bin/run.sh": "#!/bin/sh\n", "doc.txt": "hello" }).path;
    chmodSync(join(dir, "bin/run.sh"), 0o755);
    utimesSync(join(dir, "doc.txt"), 1_700_000_000, 1_700_000_000.9);
    symlinkSync("doc.txt", join(dir, "link"));
    const injected = new Map([["devops/docker_build/dev.Dockerfile", { text: "FROM x\n", mode: 0o644 }]]);
    const { entries } = collectContext(dir, null, injected);
    const read = await readTar(packContext(entries));
    expect(read.map((r) => [r.header.name, r.header.type])).toEqual([
      ["bin/", "directory"],
      ["bin/run.sh", "file"],
      ["devops/", "directory"],
      ["devops/docker_build/", "directory"],
      ["devops/docker_build/dev.Dockerfile", "file"],
      ["doc.txt", "file"],
      ["link", "symlink"],
    ]);
    const byName = new Map(read.map((r) => [r.header.name, r]));
    expect(byName.get("bin/run.sh")!.header.mode).toBe(0o755);
    expect(byName.get("bin/run.sh")!.body.toString()).toBe("#!/bin/sh\n");
    expect(byName.get("doc.txt")!.header.mode).toBe(0o644);
    expect(byName.get("doc.txt")!.header.mtime.getTime()).toBe(1_700_000_000_000);
    expect(byName.get("doc.txt")!.body.toString()).toBe("hello");
    expect(byName.get("link")!.header.linkname).toBe("doc.txt");
    expect(byName.get("devops/docker_build/dev.Dockerfile")!.body.toString()).toBe("FROM x\n");
    expect(byName.get("devops/docker_build/dev.Dockerfile")!.header.mtime.getTime()).toBe(INJECTED_MTIME_MS);
    for (const r of read) {
      expect([r.header.uid, r.header.gid, r.header.uname, r.header.gname]).toEqual([0, 0, "", ""]);
    }
  });

  test("holds long, very long and non-ASCII names and long link targets", async () => {
    const long = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(90)}.txt`;
    const veryLong = `${"g".repeat(120)}/${"h".repeat(150)}.txt`;
    const dir = testdir({ [long]: "long", [veryLong]: "very long", "ünï/cödé.py": "utf8" }).path;
    const target = `${"t".repeat(80)}/${"u".repeat(80)}`;
    symlinkSync(target, join(dir, "far"));
    const read = await readTar(packContext(collectContext(dir, null).entries));
    const byName = new Map(read.map((r) => [r.header.name, r]));
    expect(byName.get(long)!.body.toString()).toBe("long");
    expect(byName.get(veryLong)!.body.toString()).toBe("very long");
    expect(byName.get("ünï/cödé.py")!.body.toString()).toBe("utf8");
    expect(byName.get("far")!.header.linkname).toBe(target);
  });

  test("streams large files intact", async () => {
    const dir = testdir({}).path;
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
    writeFileSync(join(dir, "big.bin"), big);
    writeFileSync(join(dir, "small.txt"), "after");
    const read = await readTar(packContext(collectContext(dir, null).entries));
    expect(read.map((r) => r.header.name)).toEqual(["big.bin", "small.txt"]);
    expect(read[0]!.body.equals(big)).toBe(true);
    expect(read[1]!.body.toString()).toBe("after");
  });

  test("keeps files of every size around the block, batch and streaming limits intact", async () => {
    const sizes = [0, 1, 511, 512, 513, 65_535, 65_536, 65_537, 131_071, 131_072, 131_073, 200_000];
    const tree: Record<string, string> = {};
    for (const size of sizes) tree[`f${String(size).padStart(6, "0")}`] = "x".repeat(size);
    const dir = testdir(tree).path;
    const injected = new Map([["big-template", { text: "t".repeat(140_000), mode: 0o644 }]]);
    const read = await readTar(packContext(collectContext(dir, null, injected).entries));
    expect(read.map((r) => r.body.byteLength)).toEqual([140_000, ...sizes]);
    expect(read.every((r) => r.body.every((b) => b === (r.header.name === "big-template" ? 116 : 120)))).toBe(true);
  });

  test("is byte-for-byte deterministic and valid for GNU tar", async () => {
    const dir = testdir({ "a/b.txt": "b", "c.sh": "c", "d/": "" }).path;
    symlinkSync("a/b.txt", join(dir, "e"));
    const entries = collectContext(dir, null).entries;
    const first = await tarBytes(packContext(entries));
    expect((await tarBytes(packContext(entries))).equals(first)).toBe(true);
    expect(first.byteLength % 512).toBe(0);
    const out = testdir({}).path;
    writeFileSync(join(out, "ctx.tar"), first);
    mkdirSync(join(out, "x"));
    const tar = Bun.spawnSync(["tar", "-xf", join(out, "ctx.tar"), "-C", join(out, "x")], { stderr: "pipe" });
    expect(tar.stderr.toString()).toBe("");
    expect(tar.exitCode).toBe(0);
    expect(readFileSync(join(out, "x/e"), "utf8")).toBe("b");
  });

  test("an empty context is just the end-of-archive blocks", async () => {
    const bytes = await tarBytes(packContext([]));
    expect(bytes.equals(Buffer.alloc(1024))).toBe(true);
  });

  test("a file that shrank since it was collected fails the stream", async () => {
    const dir = testdir({ "a.txt": "four" }).path;
    const entries = collectContext(dir, null).entries;
    writeFileSync(join(dir, "a.txt"), "");
    await expect(tarBytes(packContext(entries))).rejects.toThrow(/shrank/);
  });
});

// The link approach of the older toolchain: runnable dirs link their devops files into a shared
// sub-repo. dt's builds resolve such links (test/e2e/linked-devops.test.ts builds them for real).
describe("collectContext with resolveLinksWithin (the workspace)", () => {
  const workspace = () =>
    testdir({
      "helpers/devops/docker_build/dev.Dockerfile": "FROM base\nARG POETRY_MODE\n",
      "helpers/devops/docker_build/install.sh": "echo shared\n",
      "helpers/lib/util.py": "X = 1\n",
      "app/changelog.txt": "# app-0.1.0\n- 2026-01-01\n- x\n",
      "app/devops/docker_build/": "",
      "app/main.py": "",
    }).path;
  const link = (ws: string, target: string, at: string) => symlinkSync(target, join(ws, at));
  const byPath = (entries: readonly ContextEntry[]) => new Map(entries.map((e) => [e.path, e]));

  test("a file link becomes the target's file: its bytes, size and mode; the Dockerfile may be one", async () => {
    const ws = workspace();
    link(ws, "../../../helpers/devops/docker_build/dev.Dockerfile", "app/devops/docker_build/dev.Dockerfile");
    link(ws, "../../../helpers/devops/docker_build/install.sh", "app/devops/docker_build/install.sh");
    const { entries } = collectContext(join(ws, "app"), null, new Map(), { resolveLinksWithin: ws });
    const docker = byPath(entries).get("devops/docker_build/dev.Dockerfile")!;
    expect(docker.type).toBe("file");
    expect(docker.linkTarget).toBeUndefined();
    expect(docker.size).toBe("FROM base\nARG POETRY_MODE\n".length);
    expect(docker.source).toBe(join(ws, "helpers/devops/docker_build/dev.Dockerfile"));
    const files = new Map((await readTar(packContext(entries))).map((e) => [e.header.name, e]));
    expect(files.get("devops/docker_build/install.sh")?.body.toString()).toBe("echo shared\n");
    expect(files.get("devops/docker_build/install.sh")?.header.type).toBe("file");
  });

  test("a dir link is walked as the target's dir, under the link's path, with the ignore file applied", () => {
    const ws = workspace();
    link(ws, "../helpers/lib", "app/lib");
    writeFileSync(join(ws, "helpers/lib/skip.pyc"), "");
    const { entries } = collectContext(join(ws, "app"), { text: "**/*.pyc\n", file: ".dockerignore" }, new Map(), { resolveLinksWithin: ws });
    expect(paths(entries).filter((p) => p.startsWith("lib"))).toEqual(["lib", "lib/util.py"]);
    expect(byPath(entries).get("lib")!.type).toBe("dir");
  });

  test("a link out of the workspace is refused (exit 2) naming the link and where it points; nothing is read", () => {
    const ws = workspace();
    const outside = testdir({ "secret.txt": "no" }).path;
    link(ws, join(outside, "secret.txt"), "app/devops/docker_build/install.sh");
    const e = dtErrorOf(() => collectContext(join(ws, "app"), null, new Map(), { resolveLinksWithin: ws }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`app/devops/docker_build/install.sh -> ${join(outside, "secret.txt")}`);
    expect(e.message).toContain("outside the workspace");
    expect(e.hint).toContain(".dockerignore");
  });

  test("a dangling link and a loop are input errors naming the link", () => {
    const ws = workspace();
    link(ws, "../helpers/missing.sh", "app/run.sh");
    const dangling = dtErrorOf(() => collectContext(join(ws, "app"), null, new Map(), { resolveLinksWithin: ws }));
    expect(dangling.exitCode).toBe(2);
    expect(dangling.message).toBe("app/run.sh -> ../helpers/missing.sh points to nothing (a dangling link)");

    const ws2 = workspace();
    link(ws2, "..", "app/up");
    const loop = dtErrorOf(() => collectContext(join(ws2, "app"), null, new Map(), { resolveLinksWithin: ws2 }));
    expect(loop.exitCode).toBe(2);
    expect(loop.message).toContain("app/up -> .. is a symlink loop");

    const ws3 = workspace();
    link(ws3, "self", "app/self");
    expect(dtErrorOf(() => collectContext(join(ws3, "app"), null, new Map(), { resolveLinksWithin: ws3 })).message).toContain("is a symlink loop");
  });

  test("an excluded link is not looked at, even when it points out of the workspace", () => {
    const ws = workspace();
    link(ws, "/etc/passwd", "app/host-file");
    const { entries } = collectContext(join(ws, "app"), { text: "host-file\n", file: ".dockerignore" }, new Map(), { resolveLinksWithin: ws });
    expect(paths(entries)).not.toContain("host-file");
  });

  test("editing the shared file changes the digest of every dir that links to it", () => {
    const ws = workspace();
    link(ws, "../../../helpers/devops/docker_build/dev.Dockerfile", "app/devops/docker_build/dev.Dockerfile");
    const digest = () => contextDigest(collectContext(join(ws, "app"), null, new Map(), { resolveLinksWithin: ws }).entries);
    const before = digest();
    writeFileSync(join(ws, "helpers/devops/docker_build/dev.Dockerfile"), "FROM base\nARG POETRY_MODE\nRUN true\n");
    expect(digest()).not.toBe(before);
  });
});

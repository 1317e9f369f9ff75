// What answers.ts relies on from Bun (no node:fs on the replay path), and where answers live.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFile, NO_FILE_MTIME, pathState } from "../../../../src/core/base/answers.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

describe("Bun.file's stat, as answers.ts reads it", () => {
  test("no file: size 0 and the NO_FILE_MTIME mark; a file: its size and mtime in ms", () => {
    const dir = testdir().path;
    const missing = Bun.file(join(dir, "nope"));
    expect([missing.size, missing.lastModified]).toEqual([0, NO_FILE_MTIME]);
    writeFileSync(join(dir, "f"), "12345");
    const f = Bun.file(join(dir, "f"));
    expect(f.size).toBe(5);
    expect(Math.abs(f.lastModified - Date.now())).toBeLessThan(60_000);
  });

  test("pathState: absent, file, dir; a link counts as what it points at; a broken one as absent", () => {
    const dir = testdir().path;
    writeFileSync(join(dir, "file"), "x");
    mkdirSync(join(dir, "sub"));
    symlinkSync("sub", join(dir, "to-sub"));
    symlinkSync("file", join(dir, "to-file"));
    symlinkSync("gone", join(dir, "broken"));
    expect(["nope", "file", "sub", "to-sub", "to-file", "broken"].map((p) => pathState(join(dir, p)))).toEqual(["absent", "file", "dir", "dir", "file", "absent"]);
  });
});

describe("answerFile", () => {
  const argv = ["version"];
  test("under $XDG_CACHE_HOME, else ~/.cache; none without either, or with DT_ANSWERS=off", () => {
    expect(answerFile(argv, { XDG_CACHE_HOME: "/x" }, "/w")).toMatch(/^\/x\/dt\/answers\/[0-9a-f]+\.json$/);
    expect(answerFile(argv, { HOME: "/h" }, "/w")).toMatch(/^\/h\/\.cache\/dt\/answers\//);
    expect(answerFile(argv, {}, "/w")).toBeUndefined();
    expect(answerFile(argv, { HOME: "/h", DT_ANSWERS: "off" }, "/w")).toBeUndefined();
  });

  test("one per directory and argv; the environment is checked inside, not part of the name", () => {
    const at = (args: string[], cwd: string, env: Record<string, string> = {}) => answerFile(args, { HOME: "/h", ...env }, cwd);
    expect(at(["version"], "/a")).not.toBe(at(["version"], "/b"));
    expect(at(["version"], "/a")).not.toBe(at(["version", "--json"], "/a"));
    expect(at(["version"], "/a", { DT_REGISTRY: "r" })).toBe(at(["version"], "/a"));
  });
});

// Signals during long CPU-bound work. Bun runs a signal's handler only when the event loop
// turns, so SIGINT during seconds of synchronous work (walking a build context, hashing a large
// file) was acted on only after it ended. The work now lets the loop turn every few dozen ms:
// dt ends within 3 s with 130 (SIGINT) or 143 (SIGTERM). The inputs are legal, only large: a
// context checked against thousands of ignore patterns, an 8 GB (sparse) file in devops/.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, ftruncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { dtContainersOf } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { collectContext } from "../../src/core/build/context.ts";
import { changelog, killStragglers, spawnDt, suffix, type Background } from "./helpers.ts";

const sfx = suffix();
const env = { USER: "dttest" };
const FILES = 2000;
const SENDING = "sending the build context";

afterEach(() => killStragglers());
afterAll(() => cleanupAll());

function workspace(name: string, files: Record<string, string>): string {
  return makeRepo(join(testdir().path, name), {
    "dt.yaml": `name: dtsig-${sfx}-${name}\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": changelog(name),
    "devops/.keep": "",
    ...files,
  });
}

/** Sends `signal` once dt has run for a second; resolves with what it printed by then and its end. */
async function interruptAfterASecond(bg: Background, signal: "SIGINT" | "SIGTERM") {
  await Bun.sleep(1000);
  const before = bg.stderrSoFar();
  const sent = performance.now();
  bg.proc.kill(signal);
  const result = await bg.done;
  return { before, result, afterSignalMs: performance.now() - sent };
}

describe("a build context walked against thousands of ignore patterns", () => {
  let root = "";
  let patterns = 0;

  beforeAll(() => {
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) files[`src/d${i % 20}/f${i}.txt`] = "x\n";
    root = workspace("walk", files);
    // Lines that each undo the one before (`**/*.txt`, then `!**/*.txt`, ...): each could change
    // the verdict, so every one is run over every path. As many as take this machine about 12 s
    // (measured on a sample, after a first run that warms the code up).
    const ignore = (n: number) => Array.from({ length: n }, (_, i) => `${i % 2 ? "!" : ""}**/*.txt`).join("\n");
    const sample = 2000;
    collectContext(root, { text: ignore(sample), file: "dockerignore.dev" });
    const started = performance.now();
    collectContext(root, { text: ignore(sample), file: "dockerignore.dev" });
    const ms = Math.max(performance.now() - started, 1);
    patterns = Math.min(Math.ceil((sample * 12_000) / ms), 1_000_000);
    mkdirSync(join(root, "devops/docker_build"), { recursive: true });
    writeFileSync(join(root, "devops/docker_build/dockerignore.dev"), `${ignore(patterns)}\n`);
  }, 20_000);

  // A multi-platform-ready build collects the context once before building; that walk yields too,
  // and after a signal no walk takes another slice (it once delayed the exit by the whole walk).
  test(
    "SIGINT a second in: exit 130 within 3 s, before anything was sent to the engine",
    async () => {
      const bg = spawnDt(["docker", "build"], { cwd: root, env, timeoutMs: 25_000 });
      const { before, result, afterSignalMs } = await interruptAfterASecond(bg, "SIGINT");
      // Still walking when the signal came: the input is as slow as it should be.
      expect(before).not.toContain(SENDING);
      expect(result.code).toBe(130);
      expect(afterSignalMs).toBeLessThan(3000);
      expect(result.stderr).not.toContain(SENDING);
      expect(await dtContainersOf(root)).toEqual([]);
    },
    25_000,
  );
});

describe("a large file in devops/, hashed for the context digest", () => {
  let root = "";

  beforeAll(() => {
    root = workspace("hash", {});
    // 8 GB without using the disk: every block a hole, read back as zeros.
    const fd = openSync(join(root, "devops/model.bin"), "w");
    ftruncateSync(fd, 8 * 1024 ** 3);
    closeSync(fd);
  });

  test(
    "SIGTERM a second in: exit 143 within 3 s, while hashing (after the context was collected, before it was sent)",
    async () => {
      const bg = spawnDt(["docker", "build"], { cwd: root, env, timeoutMs: 25_000 });
      const { before, result, afterSignalMs } = await interruptAfterASecond(bg, "SIGTERM");
      expect(before).toContain("devops/model.bin is 8192 MB");
      expect(before).not.toContain(SENDING);
      expect(result.code).toBe(143);
      expect(afterSignalMs).toBeLessThan(3000);
      expect(result.stderr).not.toContain(SENDING);
    },
    25_000,
  );
});

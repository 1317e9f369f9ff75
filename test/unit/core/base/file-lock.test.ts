// The lock file in-process: how it looks on disk, a dead holder's lock taken over, a live
// one's (another user's included) waited for, and a release that never removes another's lock.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { readLock, withFileLock, withFileLockAsync } from "../../../../src/core/base/file-lock.ts";
import { DtError } from "../../../../src/core/base/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const deadPid = () => Bun.spawnSync(["true"]).pid;

test("the lock holds pid, host and a token while held, and is gone after; nothing else is left", () => {
  const dir = testdir().path;
  const file = join(dir, "f");
  const seen = withFileLock(file, () => readFileSync(`${file}.dt-lock`, "utf8"));
  expect(seen).toMatch(new RegExp(`^${process.pid} ${hostname()} [0-9a-f]{24}\\n$`));
  expect(readdirSync(dir)).toEqual([]);
});

test("a live holder (this process, pid 1) is waited for, then refused naming its pid", () => {
  const dir = testdir().path;
  const file = join(dir, "f");
  for (const pid of [process.pid, 1]) {
    writeFileSync(`${file}.dt-lock`, `${pid} ${hostname()} abcdef\n`);
    expect(readLock(`${file}.dt-lock`)?.dead).toBe(false);
    const started = Date.now();
    let error: unknown;
    try {
      withFileLock(file, () => 1, 200);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtError);
    expect((error as DtError).message).toContain(`is being changed by another dt process (pid ${pid})`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(readFileSync(`${file}.dt-lock`, "utf8")).toBe(`${pid} ${hostname()} abcdef\n`);
  }
});

test("a holder on another host is never judged dead; an empty lock only once it is old", () => {
  const dir = testdir().path;
  const lock = join(dir, "f.dt-lock");
  writeFileSync(lock, `${deadPid()} some-other-host abcdef\n`);
  expect(readLock(lock)?.dead).toBe(false);
  writeFileSync(lock, "");
  expect(readLock(lock)?.dead).toBe(false);
});

test("locks of dead processes (this dt's, an older dt's, with a left take-over marker) are taken over", () => {
  const dir = testdir().path;
  const file = join(dir, "f");
  const lock = `${file}.dt-lock`;
  const plant = [
    () => writeFileSync(lock, `${deadPid()} ${hostname()} 0123abcd\n`),
    () => writeFileSync(lock, String(deadPid())),
    () => {
      writeFileSync(lock, `${deadPid()} ${hostname()} 0123abcd\n`);
      writeFileSync(`${lock}.takeover-0123abcd`, `${deadPid()} ${hostname()} 4567ef\n`);
    },
  ];
  for (const p of plant) {
    p();
    expect(withFileLock(file, () => readLock(lock)?.pid)).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([]);
  }
});

test("release leaves a lock that is no longer ours alone", async () => {
  const dir = testdir().path;
  const file = join(dir, "f");
  const lock = `${file}.dt-lock`;
  await withFileLockAsync(file, async () => {
    // Someone replaced it (say, by hand): it is theirs now.
    writeFileSync(lock, `${process.pid} ${hostname()} 99999999\n`);
  });
  expect(existsSync(lock)).toBe(true);
});

test("the async lock tells who it waits for, once, and goes on when the holder leaves", async () => {
  const dir = testdir().path;
  const file = join(dir, "f");
  const order: string[] = [];
  let release!: () => void;
  const first = withFileLockAsync(file, () => new Promise<void>((resolve) => (release = resolve)));
  const waits: (number | null)[] = [];
  const second = withFileLockAsync(file, async () => void order.push("second"), { onWait: (h) => waits.push(h.pid) });
  await Bun.sleep(200);
  order.push("first done");
  release();
  await Promise.all([first, second]);
  expect(order).toEqual(["first done", "second"]);
  expect(waits).toEqual([process.pid]);
});

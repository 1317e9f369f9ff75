// What answers.ts relies on from Bun (no node:fs on the replay path), and where answers live.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFile, engineEvents, engineHolds, NO_FILE_MTIME, pathState, sinceOf } from "../../../../src/core/base/answers.ts";
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

test("a directory's mtime (what an \"m\" input keeps) moves when an entry is added, renamed or removed, not when a file in it is written", async () => {
  const dir = testdir().path;
  writeFileSync(join(dir, "a"), "1");
  const stamps = [Bun.file(dir).lastModified];
  const next = async (change: () => void) => {
    await Bun.sleep(15);
    change();
    stamps.push(Bun.file(dir).lastModified);
  };
  await next(() => writeFileSync(join(dir, "a"), "22"));
  await next(() => writeFileSync(join(dir, "b"), ""));
  await next(() => renameSync(join(dir, "b"), join(dir, "c")));
  await next(() => rmSync(join(dir, "c")));
  expect(stamps[1]).toBe(stamps[0]!);
  expect(new Set(stamps.slice(1)).size).toBe(4);
});

describe("the engine's events, as a remembered dt ls checks them (a stand-in engine on a unix socket)", () => {
  const anchor = '{"status":"destroy","Type":"container","Action":"destroy","time":1796211163,"timeNano":1796211163631093113}';
  const image = '{"status":"tag","Type":"image","Action":"tag","time":1796211170,"timeNano":1796211170000000001}';
  const container = '{"status":"start","Type":"container","Action":"start","time":1796211171,"timeNano":1796211171000000002}';

  /** A stand-in that answers GET /events with `status` and `lines`, and notes the paths asked for. */
  function standIn(status: string, lines: string[]) {
    const socket = join(testdir().path, "e.sock");
    const asked: string[] = [];
    const server = Bun.listen({
      unix: socket,
      socket: {
        data(s, chunk) {
          asked.push(/^GET (\S+)/.exec(new TextDecoder().decode(chunk))?.[1] ?? "");
          s.write(`HTTP/1.0 ${status}\r\nContent-Type: application/json\r\n\r\n${lines.map((l) => `${l}\n`).join("")}`);
          s.end();
        },
      },
    });
    return { socket, asked, stop: () => server.stop(true) };
  }

  test("since is the event's timeNano as seconds.nanoseconds, beyond a double's precision", () => {
    expect(sinceOf(anchor)).toBe("1796211163.631093113");
    expect(sinceOf('{"Type":"image"}')).toBeUndefined();
  });

  test("the events since, one JSON line each; since and until in the query", async () => {
    const engine = standIn("200 OK", [anchor, container]);
    try {
      expect(await engineEvents(engine.socket, "1796211163.631093113")).toEqual([anchor, container]);
      expect(engine.asked[0]).toMatch(/^\/events\?since=1796211163\.631093113&until=\d{10}\.\d{9}$/);
    } finally {
      engine.stop();
    }
  });

  test("holds: the anchor first, then only container events", async () => {
    const engine = standIn("200 OK", [anchor, container]);
    try {
      expect(await engineHolds(engine.socket, anchor)).toBe(true);
    } finally {
      engine.stop();
    }
  });

  for (const [what, status, lines] of [
    ["an image event after the anchor", "200 OK", [anchor, container, image]],
    ["the anchor gone (a restarted engine, or 256 events since)", "200 OK", [container]],
    ["no events at all", "200 OK", []],
    ["an engine that refuses", "500 Internal Server Error", [anchor]],
  ] as const) {
    test(`does not hold: ${what}`, async () => {
      const engine = standIn(status, [...lines]);
      try {
        expect(await engineHolds(engine.socket, anchor)).toBe(false);
      } finally {
        engine.stop();
      }
    });
  }

  test("sent: called once the request is out, before the answer (the replay stats while the engine answers)", async () => {
    const socket = join(testdir().path, "slow.sock");
    const order: string[] = [];
    let answer = () => {};
    const server = Bun.listen({
      unix: socket,
      socket: {
        data(s) {
          order.push("asked");
          answer = () => {
            s.write(`HTTP/1.0 200 OK\r\n\r\n${anchor}\n`);
            s.end();
          };
        },
      },
    });
    try {
      const events = engineEvents(socket, "1796211163.631093113", () => order.push("sent"));
      while (!order.includes("asked")) await Bun.sleep(1);
      expect(order).toEqual(["sent", "asked"]);
      answer();
      expect(await events).toEqual([anchor]);
      expect(order).toEqual(["sent", "asked"]);
    } finally {
      server.stop(true);
    }
  });

  test("sent: called too when there is nothing to send to", async () => {
    let sent = 0;
    expect(await engineEvents(join(testdir().path, "none.sock"), undefined, () => sent++)).toBe("absent");
    expect(sent).toBe(1);
    // An anchor without a time: nothing is asked.
    expect(await engineHolds(join(testdir().path, "none.sock"), '{"Type":"container"}', () => sent++)).toBe(false);
    expect(sent).toBe(2);
  });

  test("no socket there: absent; a file that is not a socket: no answer", async () => {
    const dir = testdir().path;
    expect(await engineEvents(join(dir, "none.sock"))).toBe("absent");
    writeFileSync(join(dir, "plain"), "");
    expect(await engineEvents(join(dir, "plain"))).toBeUndefined();
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

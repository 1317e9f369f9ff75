// The progress display on a real pseudo-terminal (`script`, with `stty cols`): every line dt
// draws fits the terminal, so a redraw never leaves a wrapped row behind; without a terminal, or
// when a terminal does not say its width, whole plain lines, one per step.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { dt, dtArgv } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { cleanupAll, gitEnv, makeRepo, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

const image = `p${Math.random().toString(36).slice(2, 6)}`;
let dir = "";

beforeAll(() => {
  const root = makeRepo(join(testdir().path, "ws"), {
    "dt.yaml": `name: prog\nbase_image: ${testbed().images.busybox}\n`,
    "w/dt.yaml": `image: ${image}\n`,
    "w/changelog.txt": "# w-0.1.0\n- 2026-11-20\n- First\n",
    "w/devops/docker_build/os_packages.txt": "",
    // Seven steps, one of them longer than any terminal here is wide.
    "w/devops/docker_build/dev.Dockerfile": `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN echo "a long step: ${"0123456789abcdef".repeat(8)}" > /tmp/long\nENV A=1\nENV B=2\nWORKDIR /tmp\nCMD ["sh"]\n`,
  });
  dir = join(root, "w");
});

afterAll(async () => {
  await removeImages([image]);
  cleanupAll();
});

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** `dt ARGS` on a pseudo-terminal of `cols` columns: everything the terminal was sent. */
function onTerminal(cols: number, args: string[]): { code: number; screen: string } {
  const command = `stty cols ${cols} rows 40; exec ${[...dtArgv(), ...args].map(quote).join(" ")}`;
  const env = gitEnv({ ...process.env, USER: "dttest", TERM: "xterm", NO_COLOR: undefined, CI: undefined, GITHUB_ACTIONS: undefined });
  const r = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { cwd: dir, env, stdin: "ignore" });
  return { code: r.exitCode, screen: r.stdout.toString() };
}

const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;
/** What each row of the terminal got: text between carriage returns and newlines, without escape codes. */
const rows = (screen: string) => screen.split(/\r\n|\r|\n/).map((row) => row.replace(ESCAPES, ""));
const width = (row: string) => Bun.stringWidth(row);

const LONG_STEP = /Step \d+\/\d+ : RUN echo "a long step: [0-9a-f]{128}" > \/tmp\/long/;

describe("progress of dt docker build", () => {
  for (const cols of [60, 120]) {
    test(`on a ${cols}-column terminal every line fits: the spinner's steps are cut at the width, escape codes not counted`, () => {
      const { code, screen } = onTerminal(cols, ["docker", "build", "--no-cache"]);
      expect(code).toBe(0);
      // Drawn in place (a spinner), and in colour: the width is counted without the codes.
      expect(screen).toContain("\r\x1b[K");
      expect(screen).toContain("\x1b[36m");
      const all = rows(screen);
      expect(all.filter((r) => width(r) >= cols)).toEqual([]);
      // The long steps were there, cut with an ellipsis rather than wrapped.
      expect(all.some((r) => /build local \d+s Step \d+\/\d+ : RUN echo .*…$/.test(r))).toBe(true);
      expect(all.some((r) => r.startsWith(`✓ built ${image}:local-`))).toBe(true);
    });
  }

  test("a terminal that does not say its width gets plain lines, never cut", () => {
    const { code, screen } = onTerminal(0, ["docker", "build", "--no-cache"]);
    expect(code).toBe(0);
    expect(screen).not.toContain("\x1b[K");
    expect(screen).toMatch(new RegExp(`build local: ${LONG_STEP.source}`));
  });

  test("without a terminal: whole lines, one per step", async () => {
    const r = await dt(["docker", "build", "--no-cache"], { cwd: dir, env: { USER: "dttest" } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("\r");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.some((l) => new RegExp(`^build local: ${LONG_STEP.source}$`).test(l))).toBe(true);
    expect(lines.filter((l) => /^build local: Step \d+\/\d+ : /.test(l)).length).toBeGreaterThan(5);
    expect(lines.at(-1)).toMatch(new RegExp(`^✓ built ${image}:local-dttest-[0-9a-f]{8}-0\\.1\\.0 \\([0-9a-f]{12}\\)$`));
  });
});

// The talk channel (info, warn, debug) through consola: levels from --quiet and --verbose, and
// the reporters, run in a child process so what they write to stderr is read, not printed here.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { talkLevel } from "../../../src/ui/output.ts";

const OUTPUT = join(import.meta.dir, "../../../src/ui/output.ts");

/** Runs `body` with output.ts imported as `o`; returns its stderr. */
function talkOf(body: string, env: Record<string, string> = {}): string {
  const script = `const o = await import(${JSON.stringify(OUTPUT)});\n${body}`;
  const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, NO_COLOR: "1", CI: "", ...env }, stderr: "pipe", stdout: "pipe" });
  expect(r.exitCode).toBe(0);
  return r.stderr.toString();
}

describe("talk", () => {
  test("levels: --quiet keeps warnings only, --verbose adds debug lines", () => {
    expect([talkLevel({ quiet: false, verbose: false }), talkLevel({ quiet: true, verbose: false }), talkLevel({ quiet: false, verbose: true })]).toEqual([3, 1, 4]);
    const say = 'o.info("an info"); o.warn("a warning"); o.debug("a debug line");';
    expect(talkOf(say)).toBe("an info\nwarning: a warning\n");
    expect(talkOf(`o.settings.quiet = true; ${say}`)).toBe("warning: a warning\n");
    expect(talkOf(`o.settings.verbose = true; ${say}`)).toBe("an info\nwarning: a warning\na debug line\n");
  });

  test("a message is written as it is: no format directives, no folding of repeated lines", () => {
    expect(talkOf('o.info("100%s done %d"); for (let i = 0; i < 8; i++) o.warn("same"); process.exit(0);')).toBe(`100%s done %d\n${"warning: same\n".repeat(8)}`);
  });

  test("on a terminal, talk goes above a progress line drawn in place, which is drawn again", () => {
    const body = [
      'const line = { clear: () => process.stderr.write("[clear]"), redraw: () => process.stderr.write("[redraw]") };',
      "o.talk().setReporters([o.terminalReporter]);",
      "o.setLiveLine(line); o.warn(\"mid-build\"); o.setLiveLine(undefined); o.info(\"after\");",
    ].join("\n");
    expect(talkOf(body)).toBe("[clear]warning: mid-build\n[redraw]after\n");
    // The plain reporter (CI, pipes) writes lines as they come.
    expect(talkOf(body.replace("o.terminalReporter", "o.plainReporter"))).toBe("warning: mid-build\nafter\n");
  });

  test("without a terminal on stderr the plain reporter is chosen", () => {
    expect(talkOf("process.stderr.write(String(o.talk().options.reporters[0] === o.plainReporter));")).toBe("true");
  });
});

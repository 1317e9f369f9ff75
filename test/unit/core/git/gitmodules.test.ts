import { describe, expect, test } from "bun:test";
import { DtError } from "../../../../src/core/base/errors.ts";
import { parseGitmodules, type SubmoduleDecl } from "../../../../src/core/git/gitmodules.ts";
import { fuzzSeed, lineCount, mutate, rng } from "../../fuzz.ts";
import { dtErrorOf } from "../../../support/errors.ts";

function expectBad(text: string, line: number, pattern: RegExp, file = ".gitmodules") {
  const e = dtErrorOf(() => parseGitmodules(text, file));
  expect(e.exitCode).toBe(2);
  expect(e.where).toBe(`${file}:${line}`);
  expect(e.message).toMatch(pattern);
  expect(e.hint).toBeTruthy();
  return e;
}

const NORMAL = `[submodule "helpers_root"]
\tpath = helpers_root
\turl = https://github.com/acme/helpers.git
\tbranch = main
[submodule "libs/data"]
\tpath = libs/data
\turl = git@github.com:acme/data.git
`;

describe("parseGitmodules: valid files", () => {
  test("several sections, as git writes them", () => {
    expect(parseGitmodules(NORMAL)).toEqual([
      { name: "helpers_root", path: "helpers_root", url: "https://github.com/acme/helpers.git", branch: "main", line: 1, pathLine: 2 },
      { name: "libs/data", path: "libs/data", url: "git@github.com:acme/data.git", branch: null, line: 5, pathLine: 6 },
    ]);
  });

  test("empty and comment-only files have no submodules", () => {
    for (const text of ["", "\n\n", "# only a comment\n; another\n", "   \t\n"]) expect(parseGitmodules(text)).toEqual([]);
  });

  test("quoted values, escapes, comments with # and ;, odd spacing, CRLF", () => {
    const text = [
      "# the helpers",
      "; written by hand",
      '[submodule "with space"]   # trailing comment',
      '  path = "dir with space"   ; comment after a quoted value',
      '  url="https://example.com/a#b.git"',
      "  branch   =   release/1.x # comment",
      "",
      '[submodule "esc\\"aped"]',
      '\tpath = "a\\"b"',
      '\turl = x"y z"w',
      "\tupdate = rebase",
      "\tshallow",
    ].join("\r\n");
    expect(parseGitmodules(text)).toEqual([
      { name: "with space", path: "dir with space", url: "https://example.com/a#b.git", branch: "release/1.x", line: 3, pathLine: 4 },
      { name: 'esc"aped', path: 'a"b', url: "xy zw", branch: null, line: 8, pathLine: 9 },
    ]);
  });

  test("keys and section names are case-insensitive; trailing slashes are dropped", () => {
    const text = '[Submodule "A"]\n\tPATH = sub/a/\n\tURL = u\n\tBranch = dev\n';
    expect(parseGitmodules(text)).toEqual([{ name: "A", path: "sub/a", url: "u", branch: "dev", line: 1, pathLine: 2 }]);
  });

  test("other sections and their keys are ignored", () => {
    const text = '[core]\n\tbare = false\n[submodule "a"]\n\tpath = a\n[remote "origin"]\n\turl = x\n\tpath = ../../x\n';
    expect(parseGitmodules(text)).toEqual([{ name: "a", path: "a", url: null, branch: null, line: 3, pathLine: 4 }]);
  });

  test("a later value of the same key wins", () => {
    expect(parseGitmodules('[submodule "a"]\n path = a\n path = b\n')[0]!.path).toBe("b");
  });
});

describe("parseGitmodules: errors with file:line", () => {
  test("a garbage line", () => {
    expectBad('[submodule "a"]\n\tpath = a\n\t= oops\n', 3, /cannot read this line/);
    expectBad('[submodule "a"]\n\tpath = a\n\t9lives = x\n', 3, /cannot read this line/);
    expectBad('[submodule "a"\n\tpath = a\n', 1, /cannot read this line/);
    expectBad('[submodule a]\n\tpath = a\n', 1, /cannot read this line/);
    // a malformed header is an error, not an "other section" whose keys are silently ignored
    expectBad('[submodule "a"]\n\tpath = a\n[]\n', 3, /cannot read this line/);
    expectBad('[core bare]\n', 1, /cannot read this line/);
  });

  test("a key before any section", () => {
    expectBad("\n# c\npath = a\n", 3, /cannot read this line/);
  });

  test("a submodule without a path (points at its header)", () => {
    expectBad('[submodule "a"]\n\tpath = a\n\n[submodule "b"]\n\turl = x\n', 4, /submodule "b" has no path/);
    expectBad('[submodule "a"]\n\tpath =\n', 1, /has no path/);
    expectBad('[submodule "a"]\n\tpath = ""\n', 1, /has no path/);
    expectBad('[submodule "a"]\n', 1, /has no path/);
  });

  test("a path with .. or an absolute path (points at the path line)", () => {
    expectBad('[submodule "a"]\n\turl = x\n\tpath = ../outside\n', 3, /outside the repository: \.\.\/outside/);
    expectBad('[submodule "a"]\n\tpath = sub/../../x\n', 2, /outside the repository/);
    expectBad('[submodule "a"]\n\tpath = ..\n', 2, /outside the repository/);
    expectBad('[submodule "ok"]\n\tpath = ok\n[submodule "a"]\n\tpath = /etc\n', 4, /outside the repository: \/etc/);
    // '..' inside a name is fine
    expect(parseGitmodules('[submodule "a"]\n\tpath = a..b/c..\n')[0]!.path).toBe("a..b/c..");
  });

  test("an unterminated quote", () => {
    expectBad('[submodule "a"]\n\tpath = a\n\turl = "https://x # not a comment\n', 3, /unterminated quote/);
  });

  test("the file name given is the one in where", () => {
    expectBad("garbage\n", 1, /cannot read/, "libs/data/.gitmodules");
  });
});

// ---------------------------------------------------------------------------------------------
// Bounded fuzz: mutated files either parse to submodules with a safe relative path, or fail with
// a usage error at .gitmodules:N — never anything else.

const DONORS = [
  '[submodule "x"]', "[core]", '[submodule ""]', "[submodule]", "\tpath = ../x", "\tpath = /abs", "\tpath = ok", '\tpath = "q"',
  '\turl = "open', "\tbranch", "# comment", "; comment", "=", "[", "]", '"', "\\", '[submodule "a\\"b"]',
];
const SYNTAX = '[]"=#;\\ \t./submodulepathurlbranch';

function randomGitmodules(r: ReturnType<typeof rng>): string {
  const out: string[] = [];
  for (let k = 0, n = r.int(4); k <= n; k++) {
    const name = r.pick(["helpers", "libs/data", "a b", 'q"t', "x"]);
    out.push(`[submodule "${name.replace(/["\\]/g, "\\$&")}"]`);
    out.push(`\tpath = ${r.pick(["helpers", "libs/data", '"sp ace"', "deep/er/path/", "x"])}`);
    if (r.chance(0.8)) out.push(`\turl = ${r.pick(["https://github.com/a/b.git", "git@host:a/b", "../rel.git"])}`);
    if (r.chance(0.3)) out.push(`\tbranch = ${r.pick(["main", "release/1.x"])}`);
    if (r.chance(0.2)) out.push(r.pick(["# comment", "", "; c"]));
  }
  return `${out.join("\n")}\n`;
}

describe("parseGitmodules: bounded fuzz", () => {
  test("never throws anything but a usage error at .gitmodules:N", () => {
    const seed = fuzzSeed(0x617);
    const r = rng(seed);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const original = randomGitmodules(r);
      const text = i % 10 === 0 ? original : mutate(r, original, SYNTAX, DONORS);
      const label = `seed ${seed}, case ${i}: ${JSON.stringify(text)}`;
      let modules: SubmoduleDecl[];
      try {
        modules = parseGitmodules(text);
      } catch (e) {
        if (!(e instanceof DtError)) throw new Error(`${label}\nthrew ${String(e)}`, { cause: e });
        const m = /^\.gitmodules:(\d+)$/.exec(e.where ?? "");
        if (e.exitCode !== 2 || !m) throw new Error(`${label}\nbad error: ${e.exitCode} ${e.where} ${e.message}`);
        if (Number(m[1]) < 1 || Number(m[1]) > lineCount(text)) throw new Error(`${label}\nline out of range: ${e.where}`);
        rejected++;
        continue;
      }
      parsed++;
      for (const mod of modules) {
        if (!mod.path || mod.path.startsWith("/") || mod.path.split("/").includes("..") || mod.path.endsWith("/")) {
          throw new Error(`${label}\nunsafe path: ${JSON.stringify(mod.path)}`);
        }
        if (mod.line < 1 || mod.line > lineCount(text)) throw new Error(`${label}\nline out of range: ${mod.line}`);
      }
    }
    expect(parsed).toBeGreaterThan(400);
    expect(rejected).toBeGreaterThan(400);
  });
});

import { describe, expect, test } from "bun:test";
import { cleanPath, parseDockerignore } from "../../../../src/core/build/dockerignore.ts";
import { dtErrorOf } from "../../../support/errors.ts";

// [ignore file, paths excluded, paths kept]. Expectations follow the Docker CLI; the quirky
// ones were checked against a real `docker build` (see test/e2e/dockerignore-cli.test.ts).
const TABLE: [string, string[], string[]][] = [
  ["**/*.pyc", ["a.pyc", "x/y/a.pyc", ".pyc"], ["a.py", "a.pyc.txt", "x/a.pycx"]],
  ["**/*.pyc\n!keep.pyc", ["x/keep.pyc", "a.pyc"], ["keep.pyc"]],
  ["**/*.pyc\n!**/keep.pyc", ["a.pyc"], ["keep.pyc", "x/keep.pyc"]],
  ["/root-only", ["root-only", "root-only/x"], ["sub/root-only", "root-only2"]],
  ["dir/", ["dir", "dir/file", "dir/a/b"], ["a/dir", "dirx"]],
  ["*", ["a", "a/b", ".hidden", "a/b/c"], []],
  ["*\n!devops/", ["src", "src/x", "devopsx", "changelog.txt"], ["devops", "devops/x", "devops/a/b"]],
  ["build\n!build/keep.txt", ["build", "build/other", "build/keep.txt.bak"], ["build/keep.txt"]],
  ["**", ["a", "a/b", ".x"], []],
  ["a/**/b", ["a/b", "a/x/b", "a/x/y/b", "a/b/c"], ["ab", "a/bc", "x/a/b", "a"]],
  ["logs/**", ["logs/x", "logs/a/b"], ["logs", "logsx"]],
  ["logs/", ["logs", "logs/x"], ["a/logs"]],
  ["*.md\n!README.md", ["x.md"], ["README.md", "docs/x.md", "docs/README.md"]],
  ["*.md\n!README*.md\nREADME-secret.md", ["x.md", "README-secret.md"], ["README.md", "README-public.md"]],
  ["?.txt", ["a.txt"], ["ab.txt", "a/.txt", ".txt"]],
  ["[a-c].txt", ["b.txt", "a.txt"], ["d.txt", "ab.txt"]],
  ["[^a].txt", ["b.txt"], ["a.txt"]],
  ["[\\]x].txt", ["].txt", "x.txt"], ["a.txt"]],
  ["*/tmp/*", ["x/tmp/y", "x/tmp/y/z"], ["tmp/y", "x/y/tmp/z", "x/tmp"]],
  [".git", [".git", ".git/objects/ab"], ["sub/.git", ".github"]],
  ["**/.git", [".git", "sub/.git", "a/b/.git/HEAD"], [".github"]],
  ["\\*", ["*"], ["a", "\\*"]],
  ["a.b", ["a.b"], ["axb"]],
  ["f(o)+{1}$|", ["f(o)+{1}$|"], ["fo"]],
  // Not comments: `#` only counts in the first column.
  [" # not a comment", ["# not a comment"], []],
  ["#comment\n\n   \n", [], ["#comment", "comment"]],
  ["  spaced.txt  ", ["spaced.txt"], []],
  ["./dot/x", ["dot/x"], ["dot"]],
  ["a/../b", ["b"], ["a", "a/b"]],
  ["a//b/./c/", ["a/b/c"], ["a/b"]],
  ["! keep\n*", ["keep"], []],
  ["*\n! keep", ["other"], ["keep"]],
  ["!a", [], ["a"]],
  ["crlf\r\nother\r\n", ["crlf", "other"], []],
  ["\uFEFFbom", ["bom"], []],
  // Docker quirks kept on purpose:
  // a pattern skipped for a dir (it could not change the verdict then) is not inherited by
  // its children, so the third line does not exclude a/b again;
  ["a\n!a/b\na", ["a", "a/c"], ["a/b", "a/b/f"]],
  // a character class may match "/";
  ["a[^x]b", ["a/b", "aqb"], ["axb"]],
  // a leading ** not followed by "/" is "ends with", a trailing one "starts with".
  ["**foo", ["xfoo", "a/bfoo", "foo"], ["foox"]],
  ["foo**", ["foobar", "foo/x", "foo"], ["xfoo"]],
  // An excluded dir is walked only if an exception's text starts with it: `!**/*.py` never
  // reaches into src/, whose files stay out although the exception matches them.
  ["*\n!**/*.py", ["src", "src/x.py", "a.txt"], ["top.py"]],
  ["*\n!src/*.py", ["src", "a.txt", "src/x.txt"], ["src/x.py"]],
];

describe("parseDockerignore: matches", () => {
  for (const [text, excluded, kept] of TABLE) {
    test(JSON.stringify(text), () => {
      const m = parseDockerignore(text, ".dockerignore");
      expect(excluded.filter((p) => !m.matches(p))).toEqual([]);
      expect(kept.filter((p) => m.matches(p))).toEqual([]);
    });
  }

  test("an empty file excludes nothing, and the root is never excluded", () => {
    expect(parseDockerignore("", "x").matches("a")).toBe(false);
    expect(parseDockerignore("*\n**\n.", "x").matches(".")).toBe(false);
  });

  test("keeps the cleaned pattern text, line and kind", () => {
    const m = parseDockerignore("# c\n/a/b/\n!./c/../d\n", "f");
    expect(m.patterns.map((p) => [p.text, p.exception, p.line])).toEqual([
      ["a/b", false, 2],
      ["d", true, 3],
    ]);
    expect(m.hasExceptions).toBe(true);
  });
});

describe("parseDockerignore: walking", () => {
  test("mayHaveExceptionsUnder uses Docker's textual prefix test", () => {
    const m = parseDockerignore("*\n!src/keep/*.txt\n!**/*.py\n!foobar", "f");
    expect(m.mayHaveExceptionsUnder("src")).toBe(true);
    expect(m.mayHaveExceptionsUnder("src/keep")).toBe(true);
    expect(m.mayHaveExceptionsUnder("src/other")).toBe(false);
    expect(m.mayHaveExceptionsUnder("lib")).toBe(false);
    expect(m.mayHaveExceptionsUnder("foo")).toBe(false);
    expect(m.mayHaveExceptionsUnder("foobar")).toBe(true);
    expect(parseDockerignore("*", "f").mayHaveExceptionsUnder("src")).toBe(false);
  });

  test("evaluate from parent state agrees with matches for walked paths", () => {
    const m = parseDockerignore("a\n!a/b\na\n**/*.log\n!keep/**", "f");
    const top = m.evaluate("a", null);
    const child = m.evaluate("a/b", top.state);
    const grandchild = m.evaluate("a/b/x.log", child.state);
    expect([top.excluded, child.excluded, grandchild.excluded]).toEqual([true, false, true]);
    expect([m.matches("a"), m.matches("a/b"), m.matches("a/b/x.log")]).toEqual([true, false, true]);
  });

  test("matches 20,000 paths against 20 patterns quickly", () => {
    const lines = Array.from({ length: 10 }, (_, i) => `**/gen${i}/*.tmp\n!**/gen${i}/keep.tmp`).join("\n");
    const m = parseDockerignore(lines, "f");
    const paths = Array.from({ length: 20_000 }, (_, i) => `src/pkg${i % 50}/gen${i % 10}/file${i}.${i % 3 ? "py" : "tmp"}`);
    const start = performance.now();
    const excluded = paths.filter((p) => m.matches(p)).length;
    expect(excluded).toBeGreaterThan(6000);
    // Generous: the point is "not quadratic", not a benchmark on a busy machine.
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("parseDockerignore: invalid patterns", () => {
  const cases: [string, number, RegExp][] = [
    ["ok\n!\n", 2, /illegal exclusion pattern/],
    ["ok\n!/\n", 2, /illegal exclusion pattern/],
    ["a\n\n[abc\n", 3, /unterminated character class/],
    ["[]a]", 1, /must be escaped/],
    ["[a-]", 1, /must be escaped/],
    ["[z-a]", 1, /reversed range/],
    ["abc\\", 1, /trailing backslash/],
    ["# fine\n!src/[", 2, /unterminated/],
  ];
  for (const [text, line, message] of cases) {
    test(JSON.stringify(text), () => {
      const e = dtErrorOf(() => parseDockerignore(text, "devops/docker_build/dockerignore.prod"));
      expect(e.exitCode).toBe(2);
      expect(e.where).toBe(`devops/docker_build/dockerignore.prod:${line}`);
      expect(e.message).toMatch(message);
      expect(e.hint).toBeTruthy();
    });
  }
});

describe("cleanPath", () => {
  const cases: [string, string][] = [
    ["", "."],
    [".", "."],
    ["a/", "a"],
    ["./a", "a"],
    ["a//b", "a/b"],
    ["a/./b/../c", "a/c"],
    ["../a", "../a"],
    ["a/../../b", "../b"],
    ["/../a", "/a"],
    ["/", "/"],
  ];
  for (const [input, expected] of cases) test(`${JSON.stringify(input)} -> ${expected}`, () => expect(cleanPath(input)).toBe(expected));
});

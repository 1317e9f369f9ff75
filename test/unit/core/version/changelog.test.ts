import { describe, expect, test } from "bun:test";
import semver from "semver";
import {
  bumpChangelog,
  currentVersion,
  formatEntry,
  initialChangelog,
  parseChangelog,
  today,
  type ChangelogEntry,
} from "../../../../src/core/version/changelog.ts";
import { DtError } from "../../../../src/core/base/errors.ts";
import { fuzzSeed, lineCount, mutate, rng, type Rng } from "../../fuzz.ts";
import { dtErrorOf } from "../../../support/errors.ts";

const SPEC_EXAMPLE = `# cmamp-1.4.0
- 2026-11-20
- Add pyarrow
- Pin numpy

# cmamp-1.3.2
- 2026-10-02
- Fix entrypoint for zsh users
`;

/** Asserts a usage error at `changelog.txt:LINE` whose message matches `pattern`. */
function expectMalformed(text: string, line: number, pattern: RegExp, file = "changelog.txt") {
  const e = dtErrorOf(() => parseChangelog(text, file));
  expect(e.exitCode).toBe(2);
  expect(e.where).toBe(`${file}:${line}`);
  expect(e.message).toMatch(pattern);
  expect(e.hint).toMatch(/^expected /);
  return e;
}

describe("parseChangelog: valid files", () => {
  test("the SPEC example", () => {
    const entries = parseChangelog(SPEC_EXAMPLE);
    expect(entries).toEqual([
      { name: "cmamp", version: "1.4.0", date: "2026-11-20", notes: ["Add pyarrow", "Pin numpy"], line: 1 },
      { name: "cmamp", version: "1.3.2", date: "2026-10-02", notes: ["Fix entrypoint for zsh users"], line: 6 },
    ]);
    expect(currentVersion(entries)).toBe("1.4.0");
  });

  test("several entries, compared as semver and not as strings", () => {
    const text = [
      "# app-10.0.0", "- 2026-03-01", "- ten",
      "# app-9.10.0", "- 2026-02-01", "- nine-ten",
      "# app-9.9.10", "- 2026-01-15",
      "# app-9.9.9", "- 2026-01-01", "- first",
    ].join("\n");
    const entries = parseChangelog(text);
    expect(entries.map((e) => e.version)).toEqual(["10.0.0", "9.10.0", "9.9.10", "9.9.9"]);
    expect(entries.map((e) => e.line)).toEqual([1, 4, 7, 9]);
    expect(entries[2]!.notes).toEqual([]);
  });

  test("prerelease versions order below their release", () => {
    const text = [
      "# app-1.0.0", "- 2026-05-01",
      "# app-1.0.0-rc.2", "- 2026-04-20",
      "# app-1.0.0-rc.1", "- 2026-04-10",
      "# app-1.0.0-beta.11", "- 2026-04-05",
      "# app-1.0.0-beta.2", "- 2026-04-01",
      "# app-0.9.0", "- 2026-03-01",
    ].join("\n");
    expect(parseChangelog(text).map((e) => e.version)).toEqual([
      "1.0.0", "1.0.0-rc.2", "1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2", "0.9.0",
    ]);
  });

  test("names that contain dashes (and digits)", () => {
    const entries = parseChangelog("# my-app-1.2.3\n- 2026-01-02\n\n# my-app-1.2.3-rc.1\n- 2026-01-01\n");
    expect(entries.map((e) => [e.name, e.version])).toEqual([
      ["my-app", "1.2.3"],
      ["my-app", "1.2.3-rc.1"],
    ]);
    const [e] = parseChangelog("# data-pipeline-v2-3.0.1\n- 2026-01-02\n");
    expect([e!.name, e!.version]).toEqual(["data-pipeline-v2", "3.0.1"]);
  });

  test("headings without a name", () => {
    const entries = parseChangelog("# 1.0.0\n- 2026-01-02\n- One\n# 1.0.0-rc.1\n- 2026-01-01\n");
    expect(entries.map((e) => [e.name, e.version])).toEqual([
      ["", "1.0.0"],
      ["", "1.0.0-rc.1"],
    ]);
  });

  test("a leading v and build metadata are accepted and normalised", () => {
    const [a, b] = parseChangelog("# app-v2.0.0\n- 2026-01-02\n# app-1.0.0+build.5\n- 2026-01-01\n");
    expect(a!.version).toBe("2.0.0");
    expect(b!.version).toBe("1.0.0");
  });

  test("tolerates CRLF, a BOM, blank lines, trailing spaces, leading blank lines", () => {
    const text = `\ufeff\n\n# app-1.1.0  \r\n- 2026-01-02 \r\n- Fix\r\n\r\n\r\n# app-1.0.0\r\n-  2026-01-01\r\n`;
    const entries = parseChangelog(text);
    expect(entries.map((e) => [e.version, e.date, e.line])).toEqual([
      ["1.1.0", "2026-01-02", 3],
      ["1.0.0", "2026-01-01", 8],
    ]);
    expect(entries[0]!.notes).toEqual(["Fix"]);
  });

  test("indented lines continue the previous note", () => {
    const [e] = parseChangelog("# app-1.0.0\n- 2026-01-01\n- A long note\n  that wraps\n- Second\n");
    expect(e!.notes).toEqual(["A long note that wraps", "Second"]);
  });

  test("a note may contain a line separator (U+2028) or a lone CR inside it", () => {
    const [e] = parseChangelog("# app-1.0.0\n- 2026-01-01\n- a\u2028b\n- c\rd\n");
    expect(e!.notes).toEqual(["a\u2028b", "c\rd"]);
  });

  test("a leap day in a leap year is a date", () => {
    expect(parseChangelog("# app-1.0.0\n- 2024-02-29\n")[0]!.date).toBe("2024-02-29");
  });

  test("formatEntry and initialChangelog produce text that parses back", () => {
    const init = initialChangelog("cmamp", "2026-01-01");
    expect(init).toBe("# cmamp-0.1.0\n- 2026-01-01\n- Initial version\n");
    expect(parseChangelog(init)).toEqual([
      { name: "cmamp", version: "0.1.0", date: "2026-01-01", notes: ["Initial version"], line: 1 },
    ]);
    expect(formatEntry({ name: "", version: "1.0.0", date: "2026-01-01", notes: [] })).toBe("# 1.0.0\n- 2026-01-01\n");
  });

  test("today() is a real YYYY-MM-DD date", () => {
    expect(today()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(() => bumpChangelog(SPEC_EXAMPLE, "patch", ["x"], today())).not.toThrow();
  });
});

describe("parseChangelog: malformed files are usage errors at changelog.txt:LINE", () => {
  test("no heading at all", () => {
    expectMalformed("", 1, /no version heading/);
    expectMalformed("\n\n  \n", 1, /no version heading/);
  });

  test("text before the first heading", () => {
    expectMalformed("Changelog\n# app-1.0.0\n- 2026-01-01\n", 1, /before the first version heading/);
    expectMalformed("\n\n- 2026-01-01\n# app-1.0.0\n- 2026-01-01\n", 3, /before the first version heading/);
    // '#' without a space is not a heading.
    expectMalformed("#app-1.0.0\n- 2026-01-01\n", 1, /before the first version heading/);
  });

  test("a heading without a version", () => {
    expectMalformed("# cmamp\n- 2026-01-01\n", 1, /heading without a semver version/);
    expectMalformed("# app-1.1.0\n- 2026-01-02\n\n# cmamp\n- 2026-01-01\n", 4, /heading without a semver version/);
    expectMalformed("#   \n- 2026-01-01\n", 1, /./);
  });

  test("a version that is not semver", () => {
    for (const bad of ["1.4", "1", "1.4.0.1", "01.4.0", "1.04.0", "1.4.x", "1.4.0-", "1.4.0-rc..1", "one.two.three"]) {
      expectMalformed(`# app-2.0.0\n- 2026-01-02\n# app-${bad}\n- 2026-01-01\n`, 3, /heading without a semver version/);
    }
  });

  test("versions not in descending order", () => {
    const e = expectMalformed(
      "# app-1.3.2\n- 2026-10-02\n\n# app-1.4.0\n- 2026-11-20\n",
      4,
      /1\.4\.0 is not lower than 1\.3\.2.*line 1/,
    );
    expect(e.hint).toContain("newest first");
    // as semver, not as strings: 1.10.0 > 1.9.0
    expectMalformed("# app-1.9.0\n- 2026-01-02\n# app-1.10.0\n- 2026-01-01\n", 3, /not lower/);
    // a prerelease is lower than its release
    expectMalformed("# app-1.0.0-rc.1\n- 2026-01-02\n# app-1.0.0\n- 2026-01-01\n", 3, /not lower/);
    // ordered at first, then out of order further down
    expectMalformed("# a-3.0.0\n- 2026-01-03\n# a-2.0.0\n- 2026-01-02\n# a-2.5.0\n- 2026-01-01\n", 5, /2\.5\.0 is not lower than 2\.0\.0/);
  });

  test("equal versions are not descending (build metadata does not make them different)", () => {
    expectMalformed("# app-1.0.0\n- 2026-01-02\n# app-1.0.0\n- 2026-01-01\n", 3, /1\.0\.0 is not lower than 1\.0\.0/);
    expectMalformed("# app-1.0.0\n- 2026-01-02\n# app-v1.0.0+b\n- 2026-01-01\n", 3, /not lower/);
  });

  test("a date that is not YYYY-MM-DD", () => {
    for (const bad of ["20.11.2026", "2026/11/20", "2026-1-5", "26-11-20", "2026-11-20T10:00", "Nov 20 2026", "2026-11-2O", "２０２６-11-20"]) {
      expectMalformed(`# app-1.0.0\n- ${bad}\n- Note\n`, 2, /not a date/);
    }
    // the date line must be a '- ' item
    expectMalformed("# app-1.0.0\n2026-11-20\n", 2, /not a date/);
  });

  test("an impossible date", () => {
    for (const bad of ["2026-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "2025-02-29", "2026-01-00", "2026-01-32"]) {
      expectMalformed(`# app-1.0.0\n- ${bad}\n`, 2, /not a date/);
    }
  });

  test("a missing date", () => {
    // a note where the date should be: the error is on that line
    expectMalformed("# app-1.0.0\n- Add pyarrow\n", 2, /not a date/);
    // the next heading where the date should be: the error is on that line and names the entry
    expectMalformed("# app-1.1.0\n# app-1.0.0\n- 2026-01-01\n", 2, /entry 1\.1\.0 has no date/);
    expectMalformed("# app-1.1.0\n- 2026-01-02\n\n# app-1.0.0\n\n# app-0.9.0\n- 2026-01-01\n", 6, /entry 1\.0\.0 has no date/);
    // at the end of the file: the error is on the entry's heading
    expectMalformed("# app-1.1.0\n- 2026-01-02\n\n# app-1.0.0\n\n\n", 4, /entry 1\.0\.0 has no date/);
  });

  test("an unindented line that is not a '- ' item before any note", () => {
    expectMalformed("# app-1.0.0\n- 2026-01-01\nAdded pyarrow\n", 3, /note without a leading/);
  });

  test("the file name given is the one in `where`", () => {
    expectMalformed("# app\n", 1, /heading/, "sub/dir/changelog.txt");
  });
});

describe("bumpChangelog", () => {
  const date = "2026-12-01";

  test.each([
    ["major", "2.0.0"],
    ["minor", "1.5.0"],
    ["patch", "1.4.1"],
  ] as const)("%s from 1.4.0 -> %s", (kind, expected) => {
    const { version, text } = bumpChangelog(SPEC_EXAMPLE, kind, ["Add polars"], date);
    expect(version).toBe(expected);
    expect(text).toBe(`# cmamp-${expected}\n- ${date}\n- Add polars\n\n${SPEC_EXAMPLE}`);
    const entries = parseChangelog(text);
    expect(entries.map((e) => e.version)).toEqual([expected, "1.4.0", "1.3.2"]);
    expect(entries[0]).toEqual({ name: "cmamp", version: expected, date, notes: ["Add polars"], line: 1 });
  });

  test.each([
    ["major", "1.0.0"],
    ["minor", "1.0.0"],
    ["patch", "1.0.0"],
  ] as const)("%s from 1.0.0-rc.1 releases it -> %s (npm semver semantics)", (kind, expected) => {
    const original = "# my-app-1.0.0-rc.1\n- 2026-11-01\n- Release candidate\n";
    const { version, text } = bumpChangelog(original, kind, ["Release"], date);
    expect(version).toBe(expected);
    expect(text.endsWith(original)).toBe(true);
    expect(parseChangelog(text).map((e) => [e.name, e.version])).toEqual([
      ["my-app", expected],
      ["my-app", "1.0.0-rc.1"],
    ]);
  });

  test("keeps the rest of the file byte for byte (CRLF, odd spacing, trailing text)", () => {
    const original = "# 2.3.4\r\n-   2026-01-01   \r\n- Note with  two  spaces\r\n    continued\r\n\r\n\r\n# 2.3.3\r\n- 2025-12-31\r\n\r\n";
    const { version, text } = bumpChangelog(original, "minor", ["A", "B"], date);
    expect(version).toBe("2.4.0");
    // The entry takes the file's CRLF: no mixed line endings.
    expect(text).toBe(`# 2.4.0\r\n- ${date}\r\n- A\r\n- B\r\n\r\n${original}`);
  });

  test("several messages, trimmed, in order", () => {
    const { text } = bumpChangelog(SPEC_EXAMPLE, "patch", ["  First  ", "Second"], date);
    expect(parseChangelog(text)[0]!.notes).toEqual(["First", "Second"]);
  });

  test("leading blank lines of the old file are not kept; its BOM stays in front", () => {
    const { text } = bumpChangelog(`\ufeff\n\n${SPEC_EXAMPLE}`, "patch", ["x"], date);
    expect(text).toBe(`\ufeff# cmamp-1.4.1\n- ${date}\n- x\n\n${SPEC_EXAMPLE}`);
  });

  test("a CRLF file gets a CRLF entry; the rest is kept byte for byte", () => {
    const crlf = SPEC_EXAMPLE.replaceAll("\n", "\r\n");
    const { text } = bumpChangelog(`\ufeff${crlf}`, "minor", ["A", "B"], date);
    expect(text).toBe(`\ufeff# cmamp-1.5.0\r\n- ${date}\r\n- A\r\n- B\r\n\r\n${crlf}`);
    expect(text.replaceAll("\r\n", "").includes("\n")).toBe(false);
  });

  test("refuses empty messages", () => {
    for (const notes of [[], [""], ["   "], ["ok", ""], ["\t"]]) {
      const e = dtErrorOf(() => bumpChangelog(SPEC_EXAMPLE, "patch", notes, date));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain("needs a message");
      expect(e.hint).toContain("-m");
    }
  });

  test("refuses a message of several lines (it could forge a heading)", () => {
    for (const note of ["a\nb", "a\r\n# cmamp-99.0.0", "a\rb", "a\u2028b", "a\u2029b"]) {
      const e = dtErrorOf(() => bumpChangelog(SPEC_EXAMPLE, "patch", [note], date));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain("one line");
    }
  });

  test("what it writes always parses back", () => {
    for (const note of ["# cmamp-99.0.0", "- 2026-01-01", "  indented", "tab\there", "émoji 😀", "#", "-"]) {
      const { text } = bumpChangelog(SPEC_EXAMPLE, "minor", [note], date);
      expect(parseChangelog(text)[0]!.notes).toEqual([note.trim()]);
    }
  });

  test("refuses a bad --date", () => {
    for (const bad of ["", "today", "2026-2-3", "2026/02/03", "2026-02-30", "2026-13-01", "2026-02-03T00:00", " 2026-02-03"]) {
      const e = dtErrorOf(() => bumpChangelog(SPEC_EXAMPLE, "patch", ["x"], bad));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain("is not a date");
      expect(e.hint).toContain("YYYY-MM-DD");
    }
  });

  test("a malformed changelog is reported with the given file name", () => {
    const e = dtErrorOf(() => bumpChangelog("# app\n", "patch", ["x"], date, "sub/changelog.txt"));
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe("sub/changelog.txt:1");
  });
});

// ---------------------------------------------------------------------------------------------
// Bounded fuzz: mutated valid changelogs either parse into strictly descending semver entries or
// fail with a usage error at changelog.txt:N — never any other exception.

function randomVersions(r: Rng, count: number): string[] {
  let v = `${r.int(5)}.${r.int(20)}.${r.int(20)}`;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (r.chance(0.2)) out.push(`${v}-${r.pick(["rc", "beta", "alpha"])}.${1 + r.int(3)}`);
    out.push(v);
    v = `${r.int(5)}.${r.int(20)}.${r.int(20)}`;
  }
  return [...new Set(out)].sort(semver.rcompare);
}

function randomDate(r: Rng) {
  return `${2000 + r.int(40)}-${String(1 + r.int(12)).padStart(2, "0")}-${String(1 + r.int(28)).padStart(2, "0")}`;
}

function randomChangelog(r: Rng): string {
  const name = r.pick(["", "cmamp", "my-app", "a-b-c", "svc2", "x"]);
  return randomVersions(r, 1 + r.int(5))
    .map((version) => {
      const notes = Array.from({ length: r.int(4) }, (_, i) => r.pick(["Add pyarrow", "Fix #12", "Pin numpy==1.2.3", `- nested ${i}`, "# not a heading", "2026-01-01"]));
      const text = formatEntry({ name, version, date: randomDate(r), notes });
      return r.chance(0.3) ? text.replace(/\n- [^\n]*\n$/, "\n- x\n  continued\n") : text;
    })
    .join(r.chance(0.5) ? "\n" : "");
}

const DONORS = [
  "# cmamp-9.9.9", "# cmamp-0.0.1", "# 1.0.0", "# app-1.0.0-rc.1", "# app", "# app-1.2", "#", "# ",
  "- 2026-02-30", "- 2026-01-01", "- 26-1-1", "- note", "  continued", "text", "", "-", "- ",
];
const SYNTAX = "#-. 0123456789v+rc\n";

describe("parseChangelog: bounded fuzz", () => {
  test("never throws anything but a usage error at changelog.txt:N", () => {
    const seed = fuzzSeed(0xc4a96e);
    const r = rng(seed);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const original = randomChangelog(r);
      const text = i % 10 === 0 ? original : mutate(r, original, SYNTAX, DONORS);
      const label = `seed ${seed}, case ${i}: ${JSON.stringify(text)}`;
      let entries: ChangelogEntry[];
      try {
        entries = parseChangelog(text);
      } catch (e) {
        if (!(e instanceof DtError)) throw new Error(`${label}\nthrew ${String(e)}`, { cause: e });
        const m = /^changelog\.txt:(\d+)$/.exec(e.where ?? "");
        if (e.exitCode !== 2 || !m) throw new Error(`${label}\nbad error: ${e.exitCode} ${e.where} ${e.message}`);
        const line = Number(m[1]);
        if (line < 1 || line > lineCount(text)) throw new Error(`${label}\nline ${line} out of range`);
        rejected++;
        continue;
      }
      parsed++;
      if (i % 10 === 0 && entries.length === 0) throw new Error(`${label}\nvalid input gave no entries`);
      if (entries.length === 0) throw new Error(`${label}\nparsed to no entries`);
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]!;
        if (!semver.valid(e.version)) throw new Error(`${label}\nnot semver: ${e.version}`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date)) throw new Error(`${label}\nbad date: ${e.date}`);
        if (k > 0 && !semver.gt(entries[k - 1]!.version, e.version)) {
          throw new Error(`${label}\nnot strictly descending: ${entries[k - 1]!.version} then ${e.version}`);
        }
      }
      // What parses also survives a round trip through formatEntry.
      const strip = (list: ChangelogEntry[]) => JSON.stringify(list.map(({ line: _, ...rest }) => rest));
      const formatted = entries.map(formatEntry).join("\n");
      if (strip(parseChangelog(formatted)) !== strip(entries)) {
        throw new Error(`${label}\nround trip changed it: ${strip(entries)}\n${JSON.stringify(formatted)}`);
      }
    }
    // The generator must exercise both outcomes, or the test proves little.
    expect(parsed).toBeGreaterThan(400);
    expect(rejected).toBeGreaterThan(400);
  });
});

describe("the fix of a malformed changelog shows a heading in the dir's own name", () => {
  test("the dir of the file, or the name given; never another project's", () => {
    const bad = "# 1.x\n- 2026-11-20\n";
    expect(dtErrorOf(() => parseChangelog(bad, "apps/pricer/changelog.txt")).hint).toBe("expected '# NAME-X.Y.Z', e.g. '# pricer-1.4.0'");
    expect(dtErrorOf(() => parseChangelog("", "apps/pricer/changelog.txt")).hint).toBe("expected a first line like '# pricer-0.1.0'");
    expect(dtErrorOf(() => parseChangelog("text\n", "changelog.txt", "orders")).hint).toBe("expected the file to start with '# orders-X.Y.Z'");
    expect(dtErrorOf(() => parseChangelog(bad, "changelog.txt")).hint).not.toContain("cmamp");
  });
});

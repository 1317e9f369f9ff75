/**
 * Reads and writes the JUnit XML that pytest produces (`--junitxml`). A small parser of our
 * own: pytest's reports are flat (testsuites > testsuite > testcase > failure|error|skipped).
 */

export type CaseStatus = "passed" | "failed" | "skipped" | "error";

export interface TestCase {
  classname: string;
  name: string;
  file: string | null;
  line: number | null;
  time: number;
  status: CaseStatus;
  /** Failure or error message and text, skip reason. */
  message: string;
  details: string;
}

export interface TestSuite {
  name: string;
  time: number;
  cases: TestCase[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e]!;
  });
}

function encodeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1]!] = decodeXml(m[3] ?? m[4] ?? "");
  return out;
}

function body(xml: string, from: number, name: string): { text: string; end: number } {
  const close = xml.indexOf(`</${name}>`, from);
  if (close < 0) return { text: "", end: from };
  const raw = xml.slice(from, close);
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(raw);
  return { text: cdata ? cdata[1]! : decodeXml(raw), end: close + name.length + 3 };
}

/** Parses a JUnit XML document into suites; unknown elements are skipped. */
export function parseJunit(xml: string): TestSuite[] {
  const suites: TestSuite[] = [];
  let suite: TestSuite | undefined;
  let current: TestCase | undefined;
  const tagRe = /<(\/?)([\w:.-]+)([^>]*?)(\/?)>/g;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(xml))) {
    const [, closing, name, rawAttrs, selfClosing] = m;
    if (name!.startsWith("?") || name!.startsWith("!")) continue;
    if (closing) {
      if (name === "testcase") current = undefined;
      if (name === "testsuite") suite = undefined;
      continue;
    }
    const attrs = attributes(rawAttrs!);
    if (name === "testsuite") {
      suite = { name: attrs.name ?? "pytest", time: Number(attrs.time ?? 0), cases: [] };
      suites.push(suite);
      if (selfClosing) suite = undefined;
    } else if (name === "testcase") {
      if (!suite) {
        suite = { name: "pytest", time: 0, cases: [] };
        suites.push(suite);
      }
      current = {
        classname: attrs.classname ?? "",
        name: attrs.name ?? "",
        file: attrs.file ?? null,
        line: attrs.line !== undefined ? Number(attrs.line) : null,
        time: Number(attrs.time ?? 0),
        status: "passed",
        message: "",
        details: "",
      };
      suite.cases.push(current);
      if (selfClosing) current = undefined;
    } else if (current && (name === "failure" || name === "error" || name === "skipped")) {
      // pytest reports an error in teardown after a pass; a failure outranks a skip.
      const status: CaseStatus = name === "failure" ? "failed" : name === "error" ? "error" : "skipped";
      if (current.status === "passed" || status !== "skipped") current.status = status;
      current.message ||= attrs.message ?? "";
      if (!selfClosing) {
        const { text, end } = body(xml, tagRe.lastIndex, name);
        current.details = current.details ? `${current.details}\n${text}` : text;
        tagRe.lastIndex = end;
      }
    }
  }
  return suites;
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  total: number;
}

export function countCases(cases: readonly TestCase[]): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, errors: 0, total: cases.length };
  for (const c of cases) {
    if (c.status === "passed") counts.passed++;
    else if (c.status === "failed") counts.failed++;
    else if (c.status === "skipped") counts.skipped++;
    else counts.errors++;
  }
  return counts;
}

/** One JUnit document of several suites (the merged report of `dt test --junit`). */
export function renderJunit(suites: readonly TestSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const total = countCases(all);
  const lines = [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<testsuites name="dt test" tests="${total.total}" failures="${total.failed}" errors="${total.errors}" skipped="${total.skipped}" time="${sum(suites.map((s) => s.time)).toFixed(3)}">`,
  ];
  for (const suite of suites) {
    const c = countCases(suite.cases);
    lines.push(
      `  <testsuite name="${encodeXml(suite.name)}" tests="${c.total}" failures="${c.failed}" errors="${c.errors}" skipped="${c.skipped}" time="${suite.time.toFixed(3)}">`,
    );
    for (const t of suite.cases) {
      const attrs = [`classname="${encodeXml(t.classname)}"`, `name="${encodeXml(t.name)}"`];
      if (t.file) attrs.push(`file="${encodeXml(t.file)}"`);
      if (t.line !== null) attrs.push(`line="${t.line}"`);
      attrs.push(`time="${t.time.toFixed(3)}"`);
      if (t.status === "passed") {
        lines.push(`    <testcase ${attrs.join(" ")} />`);
        continue;
      }
      const tag = t.status === "failed" ? "failure" : t.status === "error" ? "error" : "skipped";
      lines.push(`    <testcase ${attrs.join(" ")}>`);
      lines.push(`      <${tag} message="${encodeXml(t.message)}">${encodeXml(t.details)}</${tag}>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`, "");
  return lines.join("\n");
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * What `dt test` tells GitHub Actions: one `::error` workflow command per failed test (shown on
 * the diff of a pull request) and a Markdown summary appended to the job's page. Pure
 * functions over a small input type of our own; the test runner adapts its results to it.
 */
import { appendFileSync } from "node:fs";

export interface CiFailure {
  /** The test's file relative to the workspace root (= the repository checkout), if known. */
  file: string | null;
  line: number | null;
  /** The test, e.g. `test_price` or `TestX::test_price[2]`. */
  name: string;
  /** One line: pytest's failure message. */
  message: string;
  /** The traceback, if any. */
  details?: string;
  /** An error (setup, teardown, collection) rather than a failed assertion. */
  error?: boolean;
}

export interface CiDirResult {
  /** The runnable dir, relative to the workspace root. */
  dir: string;
  /** The image the tests ran in (`REGISTRY/IMAGE:TAG`). */
  image: string;
  stage: string;
  /** `I/N` when this run was one shard of the dir's tests. */
  shard?: string;
  counts: { passed: number; failed: number; skipped: number; errors: number };
  seconds: number;
  failures: CiFailure[];
  /** Served from the test-result cache: not run by this job, so it annotates nothing. */
  cached?: boolean;
}

export type Env = Record<string, string | undefined>;

export const inGithubActions = (env: Env = process.env) => env.GITHUB_ACTIONS === "true";

/** Escapes the message of a workflow command (what follows `::`). */
export const escapeData = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** Escapes a property value of a workflow command (`file=`, `title=`, ...). */
export const escapeProperty = (text: string) => escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** GitHub shows at most 10 error annotations per step; more are dropped without a word. */
export const MAX_ANNOTATIONS = 10;

/** Lines of traceback kept in an annotation; the summary and the log have the rest. */
const ANNOTATION_DETAIL_LINES = 30;

/**
 * `::error` lines, one per failure, in the order given. Past `limit`, the last line says how
 * many more failed instead of naming one more, so nothing disappears silently.
 */
export function annotations(results: readonly CiDirResult[], limit = MAX_ANNOTATIONS): string[] {
  const all = results.filter((r) => !r.cached).flatMap((r) => r.failures.map((f) => ({ r, f })));
  const shown = all.length > limit ? all.slice(0, Math.max(0, limit - 1)) : all;
  const lines = shown.map(({ r, f }) => {
    const props: string[] = [];
    if (f.file) props.push(`file=${escapeProperty(f.file)}`);
    if (f.file && f.line !== null && f.line > 0) props.push(`line=${f.line}`);
    props.push(`title=${escapeProperty(`dt test ${where(r)}::${f.name} ${f.error ? "error" : "failed"}`)}`);
    const details = f.details?.trimEnd().split("\n").slice(-ANNOTATION_DETAIL_LINES).join("\n");
    const head = f.message || "(no message)";
    const message = details && details !== head ? `${head}\n\n${details}` : head;
    return `::error ${props.join(",")}::${escapeData(message)}`;
  });
  if (shown.length < all.length) {
    const more = all.length - shown.length;
    lines.push(`::error title=${escapeProperty("dt test")}::${escapeData(`${more} more failed test${more === 1 ? "" : "s"}: see the job summary`)}`);
  }
  return lines;
}

const where = (r: CiDirResult) => (r.shard ? `${r.dir} (shard ${r.shard})` : r.dir);

/**
 * The Markdown summary: a verdict, a table (dir, image, stage, passed, failed, skipped, time),
 * then the failures of each dir with their tracebacks folded away.
 */
export function stepSummary(results: readonly CiDirResult[], title = "dt test"): string {
  const total = { passed: 0, failed: 0, skipped: 0, errors: 0, seconds: 0 };
  for (const r of results) {
    total.passed += r.counts.passed;
    total.failed += r.counts.failed;
    total.skipped += r.counts.skipped;
    total.errors += r.counts.errors;
    total.seconds += r.seconds;
  }
  const bad = total.failed + total.errors;
  const verdict = bad > 0 ? `❌ ${plural(bad, "test")} failed` : "✅ all tests passed";
  const lines = [
    `## ${cell(title)}`,
    "",
    `${verdict}: ${total.passed} passed, ${total.failed} failed, ${plural(total.errors, "error")}, ${total.skipped} skipped in ${plural(results.length, "run")} (${seconds(total.seconds)})`,
    "",
    "| dir | image | stage | passed | failed | skipped | time |",
    "|---|---|---|--:|--:|--:|--:|",
  ];
  for (const r of results) {
    const failed = r.counts.errors > 0 ? `${r.counts.failed} (+${plural(r.counts.errors, "error")})` : String(r.counts.failed);
    const mark = r.counts.failed + r.counts.errors > 0 ? "❌ " : "";
    lines.push(`| ${mark}${cell(where(r))}${r.cached ? " (cached)" : ""} | ${code(r.image)} | ${cell(r.stage)} | ${r.counts.passed} | ${failed} | ${r.counts.skipped} | ${seconds(r.seconds)} |`);
  }
  for (const r of results) {
    if (r.failures.length === 0) continue;
    lines.push("", `### ❌ ${cell(where(r))}`, "");
    for (const f of r.failures) {
      const at = f.file ? ` (${code(f.line !== null ? `${f.file}:${f.line}` : f.file)})` : "";
      const message = f.message ? `: ${cell(f.message)}` : "";
      lines.push(`- **${cell(f.name)}**${f.error ? " (error)" : ""}${at}${message}`);
      if (f.details?.trim()) {
        const fence = "`".repeat(Math.max(3, longestRun(f.details, "`") + 1));
        lines.push("", "  <details><summary>traceback</summary>", "", `  ${fence}`, ...f.details.trimEnd().split("\n").map((l) => `  ${l}`), `  ${fence}`, "", "  </details>", "");
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Appends Markdown to the file GitHub names in GITHUB_STEP_SUMMARY; false (and nothing
 * written) outside Actions. One append of the whole text, so parallel writers do not
 * interleave within it.
 */
export function appendStepSummary(markdown: string, env: Env = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return true;
}

/**
 * The line of the test's own file in a pytest traceback (`tests/test_x.py:12: AssertionError`),
 * the last one if the traceback passes through it more than once: where an xunit2 report, which
 * has no `line` attribute, failed. `file` may be relative to the workspace or to the dir.
 */
export function failureLine(details: string, file: string): number | null {
  let line: number | null = null;
  for (const m of details.matchAll(/^(\S+?\.py):(\d+):/gm)) {
    const path = m[1]!.replace(/^\.\//, "");
    if (path === file || file.endsWith(`/${path}`) || path.endsWith(`/${file}`)) line = Number(m[2]);
  }
  return line;
}

/** Table-cell text: one line, no column breaks. */
const cell = (text: string) => text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
const code = (text: string) => {
  const ticks = "`".repeat(longestRun(text, "`") + 1);
  return `${ticks}${ticks.length > 1 ? " " : ""}${cell(text)}${ticks.length > 1 ? " " : ""}${ticks}`;
};
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const seconds = (s: number) => (s < 59.95 ? `${s.toFixed(1)} s` : `${Math.floor(Math.round(s) / 60)} min ${Math.round(s) % 60} s`);

function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

import type { DirResult, TestEvent } from "../core/testing/run-tests.ts";
import { plural } from "../core/base/text.ts";
import { c, settings } from "./output.ts";
import { stderrColumns } from "./progress.ts";
import { cutToWidth } from "./text-width.ts";
import { localMinute } from "./test-report.ts";

interface Row {
  dir: string;
  state: "queued" | "running" | "done";
  started: number;
  passed: number;
  failed: number;
  skipped: number;
  result?: DirResult;
}

const VERDICT = /\s(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)(\s|$)/;

function count(row: Row, line: string) {
  const m = VERDICT.exec(line);
  if (!m) return;
  if (m[1] === "PASSED" || m[1] === "XPASS") row.passed++;
  else if (m[1] === "SKIPPED" || m[1] === "XFAIL") row.skipped++;
  else row.failed++;
}

/** A dir's outcome in a few words: its counts, `no tests`, or why it could not run. */
export function describeOutcome(r: DirResult): string {
  const n = r.counts;
  const parts = [`${n.passed} passed`, n.failed ? c.red(`${n.failed} failed`) : "", n.errors ? c.red(plural(n.errors, "error")) : "", n.skipped ? `${n.skipped} skipped` : ""].filter(Boolean);
  const what = r.status === "no-tests" ? "no tests" : r.status === "error" || r.status === "not-run" ? (r.reason ?? r.status) : parts.join(", ");
  return r.cached ? `cached: ${what}${r.cachedAt ? ` (ran ${localMinute(r.cachedAt)})` : ""}` : what;
}

function describeDone(r: DirResult): string {
  const what = describeOutcome(r);
  const mark = r.status === "passed" || r.status === "no-tests" ? c.green("✓") : r.status === "not-run" ? c.dim("-") : c.red("✗");
  return `${mark} ${r.dir}  ${what}${r.reason && r.status === "failed" ? c.red(` (${r.reason})`) : ""}  ${c.dim(`${r.seconds.toFixed(1)}s`)}`;
}

/**
 * The live view of a `dt test` run on stderr: on a TTY one line per dir (queued, running with
 * elapsed time and counts, result); otherwise each dir's output as prefixed lines.
 */
export function testDisplay(): { onEvent: (e: TestEvent) => void; stop: () => void } {
  const rows = new Map<string, Row>();
  if (settings.quiet) return { onEvent: () => {}, stop: () => {} };
  if (stderrColumns() === undefined) {
    return {
      onEvent(e) {
        if (e.kind === "planned") for (const d of e.dirs) process.stderr.write(`dt test: ${d.dir}: ${d.reasons.join("; ")}${d.staleImage ? " (the image is stale: rebuild with dt docker build)" : ""}\n`);
        else if (e.kind === "start") process.stderr.write(`[${e.dir}] running in ${e.image}\n`);
        else if (e.kind === "line") process.stderr.write(`[${e.dir}] ${e.line}\n`);
        else process.stderr.write(`${describeDone(e.result)}\n`);
      },
      stop() {},
    };
  }
  let drawn = 0;
  const draw = () => {
    const lines = [...rows.values()].map((row) => {
      if (row.state === "done" && row.result) return describeDone(row.result);
      if (row.state === "queued") return `${c.dim("·")} ${row.dir}  ${c.dim("queued")}`;
      const elapsed = ((Date.now() - row.started) / 1000).toFixed(1);
      return `${c.cyan("▸")} ${row.dir}  running ${elapsed}s  ${c.green(`${row.passed} passed`)}${row.failed ? c.red(` ${row.failed} failed`) : ""}${row.skipped ? ` ${row.skipped} skipped` : ""}`;
    });
    // Each row within the terminal's width (one column spare): a wrapped row would take two
    // rows, and moving up by `drawn` lines would then leave stale rows behind.
    const width = (stderrColumns() ?? 80) - 1;
    let text = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const line of lines) text += `\r\x1b[K${cutToWidth(line, width)}\n`;
    process.stderr.write(text);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  return {
    onEvent(e) {
      if (e.kind === "planned") {
        for (const d of e.dirs) rows.set(d.dir, { dir: d.dir, state: "queued", started: 0, passed: 0, failed: 0, skipped: 0 });
        for (const d of e.dirs) if (d.staleImage) process.stderr.write(`${c.yellow("!")} ${d.dir}: devops/ changed, the image is stale (dt docker build)\n`);
      } else if (e.kind === "start") {
        const row = rows.get(e.dir);
        if (row) Object.assign(row, { state: "running", started: Date.now() });
      } else if (e.kind === "line") {
        const row = rows.get(e.dir);
        if (row) count(row, e.line);
      } else {
        const row = rows.get(e.result.dir);
        if (row) Object.assign(row, { state: "done", result: e.result });
      }
      draw();
    },
    stop() {
      clearInterval(timer);
      draw();
    },
  };
}

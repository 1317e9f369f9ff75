import type { TestReport } from "../core/testing/run-tests.ts";
import { plural } from "../core/base/text.ts";
import { c, table } from "./output.ts";

/** Failing tests' output grouped by dir, then the summary table: the text result of `dt test`. */
export function renderTestReport(report: TestReport): string {
  const parts: string[] = [];
  for (const r of report.dirs) {
    const failing = r.cases.filter((t) => t.status === "failed" || t.status === "error");
    if (failing.length === 0 && r.status !== "failed" && r.status !== "error") continue;
    parts.push(c.bold(c.red(`━━ ${r.dir} (${r.image ?? "no image"})`)));
    for (const t of failing) {
      parts.push(c.bold(`── ${t.file ?? t.classname}::${t.name}${t.line !== null ? ` (line ${t.line + 1})` : ""}`));
      parts.push((t.details || t.message).trimEnd());
    }
    if (failing.length === 0) {
      parts.push(r.reason ?? "failed");
      if (r.hint) parts.push(`fix: ${r.hint}`);
      const tail = r.output.trimEnd().split("\n").slice(-30).join("\n");
      if (tail) parts.push(tail);
    }
    parts.push("");
  }
  const rows = report.dirs.map((r) => [
    r.dir,
    r.image ?? "-",
    r.stage ?? "-",
    String(r.counts.passed),
    r.counts.failed + r.counts.errors ? c.red(String(r.counts.failed + r.counts.errors)) : "0",
    String(r.counts.skipped),
    `${r.seconds.toFixed(1)}s`,
    // A cached row's counts and time are its original run's, whose date it shows.
    r.cached ? c.green(`cached ${r.cachedAt ? localMinute(r.cachedAt) : ""}`.trim()) : r.status === "passed" ? c.green("passed") : r.status === "no-tests" ? "no tests" : r.status === "not-run" ? c.dim("not run") : c.red(r.status),
  ]);
  parts.push(table(["DIR", "IMAGE", "STAGE", "PASSED", "FAILED", "SKIPPED", "TIME", "RESULT"], rows, { shrink: [1] }));
  const t = report.totals;
  const notRun = report.dirs.filter((r) => r.status === "error" || r.status === "not-run").length;
  const cached = report.dirs.filter((r) => r.cached).length;
  parts.push(
    `${report.ok ? c.green("passed") : c.red("failed")}: ${t.passed} passed, ${t.failed} failed, ${t.errors ? `${plural(t.errors, "error")}, ` : ""}${t.skipped} skipped in ${plural(report.dirs.length, "dir")}${notRun ? ` (${notRun} could not run)` : ""} (${cached ? `${cached} cached, ` : ""}${t.seconds.toFixed(1)}s)${report.junit ? `; JUnit: ${report.junit}` : ""}`,
  );
  return parts.join("\n");
}

/** `2026-12-02 14:05` in the local time zone: when a cached result's run ended. */
export function localMinute(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

import type { DirResult } from "../core/testing/run-tests.ts";

/** pytest's short summary lines (`FAILED path::test - message`, `ERROR path`). */
const SUMMARY = /^(FAILED|ERROR) \S/;

/**
 * What a dir's failed run says in a few lines: pytest's own `FAILED path::test - message` lines,
 * a collection or import error's first lines (the traceback's `E ` lines say what is missing),
 * or, for a dir that could not run, why and the fix. Never `0 passed, 0 failed`.
 */
export function failureLines(r: DirResult, maxTests = 10): string[] {
  if (r.status === "error" || r.status === "not-run") return [`${r.dir} could not run: ${r.reason ?? r.status}`, ...(r.hint ? [`fix: ${r.hint}`] : [])];
  const lines: string[] = [];
  const summary = r.output.split("\n").filter((l) => SUMMARY.test(l));
  const failing = r.cases.filter((t) => t.status === "failed" || t.status === "error");
  if (summary.length) lines.push(...summary.slice(0, maxTests));
  else for (const t of failing.slice(0, maxTests)) lines.push(`${t.status === "error" ? "ERROR" : "FAILED"} ${t.file ?? t.classname}::${t.name} - ${firstLine(t.message)}`);
  const named = Math.max(summary.length, failing.length);
  if (named > maxTests) lines.push(`... and ${named - maxTests} more`);
  // A collection error's summary line names only the file: its first lines say what went wrong.
  for (const t of failing.filter((c) => c.status === "error" && !c.classname).slice(0, 3)) {
    const detail = t.details.split("\n");
    const said = [detail[0] ?? "", ...detail.filter((l) => l.startsWith("E "))].filter(Boolean).slice(0, 5);
    lines.push(...said.map((l) => `    ${l}`));
  }
  if (named === 0) {
    // pytest stopped before reporting a test (usage error, crash): its last lines say why.
    lines.push(...(r.reason ? [r.reason] : []), ...r.output.trimEnd().split("\n").slice(-8));
  }
  return lines;
}

const firstLine = (s: string) => s.split("\n").find((l) => l.trim())?.trim() ?? "";

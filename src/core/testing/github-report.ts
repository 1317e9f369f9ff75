import { join, relative } from "node:path";
import { exists } from "../base/fs-util.ts";
import { annotations, appendStepSummary, failureLine, stepSummary, type CiDirResult } from "./github-format.ts";
import type { TestReport } from "./run-tests.ts";

/** xunit1 paths are relative to pytest's rootdir: the runnable dir if it has a pytest.ini, else above it. */
function workspacePath(root: string, dir: string, file: string): string {
  const inDir = join(root, dir, file);
  return relative(root, exists(inDir) ? inDir : join(root, file));
}

/** The runner's report in the shape of the GitHub helpers; file paths relative to the workspace. */
function toCiResults(report: TestReport, root: string): CiDirResult[] {
  return report.dirs.map((d) => ({
    dir: d.dir,
    image: d.image ?? "",
    stage: d.stage ?? "",
    ...(report.shard ? { shard: report.shard } : {}),
    counts: { passed: d.counts.passed, failed: d.counts.failed, skipped: d.counts.skipped, errors: d.counts.errors },
    seconds: d.seconds,
    cached: d.cached,
    failures: d.cases
      .filter((c) => c.status === "failed" || c.status === "error")
      .map((c) => ({
        file: c.file ? workspacePath(root, d.dir, c.file) : null,
        // The failing line from the traceback; else the test's own (xunit1 lines are 0-based).
        line: failureLine(c.details, c.file ?? "") ?? (c.line === null ? null : c.line + 1),
        name: c.name,
        message: c.message,
        details: c.details,
        error: c.status === "error",
      })),
  }));
}

/** Inside GitHub Actions: failure annotations and the job's Markdown summary. */
export function reportToGithub(report: TestReport, options: { root: string; annotationsTo: NodeJS.WritableStream }): void {
  const results = toCiResults(report, options.root);
  for (const line of annotations(results)) options.annotationsTo.write(`${line}\n`);
  appendStepSummary(stepSummary(results));
}

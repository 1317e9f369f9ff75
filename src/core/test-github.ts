import type { TestReport } from "./test-run.ts";

/** Placeholder until github.ts lands. */
export function reportToGithub(_report: TestReport, _options: { annotationsTo: NodeJS.WritableStream }): void {}

import { join } from "node:path";
import { currentVersion, parseChangelog } from "../version/changelog.ts";
import { loadConfig } from "../config/config.ts";
import { DtError, DtErrors } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import type { RunnableDir } from "./workspace.ts";

/** One thing wrong with a runnable dir's files, as a listing shows it. */
export interface RunnableProblem {
  /** config: its dt.yaml layers (or older config); changelog: its changelog.txt; image: a name clash. */
  kind: "config" | "changelog" | "image";
  where: string | null;
  message: string;
  hint: string | null;
}

export interface RunnableSummary {
  path: string;
  /** Null when the dir's configuration is invalid: a guessed name would show the wrong images. */
  image: string | null;
  /** The registry prefix its images are named with, or null. */
  registry: string | null;
  version: string | null;
  /** Every problem in one line (`where: message; ...`), or null. */
  problem: string | null;
  problems: RunnableProblem[];
}

/** Image name and version of a runnable dir, without letting one bad file hide the others. */
export function summarizeRunnable(root: string, dir: RunnableDir): RunnableSummary {
  let image: string | null = null;
  let version: string | null = null;
  let registry: string | null = null;
  const problems: RunnableProblem[] = [];
  try {
    ({ image, registry } = loadConfig(root, dir.path).config);
  } catch (e) {
    problems.push(...problemsOf("config", e));
  }
  const file = dir.path === "." ? "changelog.txt" : `${dir.path}/changelog.txt`;
  try {
    version = currentVersion(parseChangelog(readText(join(root, file)) ?? "", file));
  } catch (e) {
    problems.push(...problemsOf("changelog", e));
  }
  return { path: dir.path, image, registry, version, problem: joinProblems(problems), problems };
}

export const joinProblems = (problems: readonly RunnableProblem[]) =>
  problems.length ? problems.map((p) => `${p.where ? `${p.where}: ` : ""}${p.message}`).join("; ") : null;

function problemsOf(kind: RunnableProblem["kind"], e: unknown): RunnableProblem[] {
  if (e instanceof DtErrors) return e.problems.flatMap((p) => problemsOf(kind, p));
  if (e instanceof DtError) return [{ kind, where: e.where ?? null, message: e.message, hint: e.hint ?? null }];
  return [{ kind, where: null, message: e instanceof Error ? e.message : String(e), hint: null }];
}

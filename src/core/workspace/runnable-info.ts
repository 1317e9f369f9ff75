import { join } from "node:path";
import { currentVersion, parseChangelog, type ChangelogEntry } from "../version/changelog.ts";
import { configInputs, loadConfig } from "../config/config.ts";
import { keyOf, readCache, writeCache } from "../base/stamp-cache.ts";
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
  /** What is odd but works: a changelog heading named other than the image. */
  warnings: string[];
}

/**
 * A changelog whose newest heading names something else than the dir's image (`# helpers-1.0.0`
 * for the image helpers_root): it still works, the name is only a label, but it misleads.
 */
export function headingNameWarning(file: string, entry: ChangelogEntry, image: string): { message: string; fix: string } | undefined {
  if (!entry.name || entry.name === image) return undefined;
  return {
    message: `${file}:${entry.line}: the heading names '${entry.name}', the image is '${image}'`,
    fix: `name the next entry '# ${image}-X.Y.Z' (dt version bump keeps the newest heading's name), or set image: ${entry.name} in dt.yaml`,
  };
}

/** Image name and version of a runnable dir, without letting one bad file hide the others. */
export function summarizeRunnable(root: string, dir: RunnableDir): RunnableSummary {
  let image: string | null = null;
  let version: string | null = null;
  let registry: string | null = null;
  const problems: RunnableProblem[] = [];
  const warnings: string[] = [];
  try {
    ({ image, registry } = loadConfig(root, dir.path).config);
  } catch (e) {
    problems.push(...problemsOf("config", e));
  }
  const file = dir.path === "." ? "changelog.txt" : `${dir.path}/changelog.txt`;
  try {
    const entries = parseChangelog(readText(join(root, file)) ?? "", file, image ?? undefined);
    version = currentVersion(entries);
    const odd = image === null ? undefined : headingNameWarning(file, entries[0]!, image);
    if (odd) warnings.push(`${odd.message}; ${odd.fix}`);
  } catch (e) {
    problems.push(...problemsOf("changelog", e));
  }
  return { path: dir.path, image, registry, version, problem: joinProblems(problems), problems, warnings };
}

export const joinProblems = (problems: readonly RunnableProblem[]) =>
  problems.length ? problems.map((p) => `${p.where ? `${p.where}: ` : ""}${p.message}`).join("; ") : null;

function problemsOf(kind: RunnableProblem["kind"], e: unknown): RunnableProblem[] {
  if (e instanceof DtErrors) return e.problems.flatMap((p) => problemsOf(kind, p));
  if (e instanceof DtError) return [{ kind, where: e.where ?? null, message: e.message, hint: e.hint ?? null }];
  return [{ kind, where: null, message: e instanceof Error ? e.message : String(e), hint: null }];
}

/**
 * summarizeRunnable of each dir, from one cache file per workspace while each dir's own files
 * (what loadConfig reads for it, its changelog) are unchanged: `dt ls` then parses only the
 * dirs whose files changed, and loads no YAML parser when none did.
 */
export function summarizeAll(
  root: string,
  dirs: readonly RunnableDir[],
  env: Record<string, string | undefined> = process.env,
  knownKeys: ReadonlyMap<string, string> = new Map(),
): RunnableSummary[] {
  const keys = dirs.map((d) => knownKeys.get(d.path) ?? summaryKey(root, d.path, env));
  const cached = readCache<Record<string, { key: string; summary: RunnableSummary }>>("ls", root, "", env) ?? {};
  let missed = false;
  const summaries = dirs.map((d, i) => {
    const hit = cached[d.path];
    if (hit && hit.key === keys[i]) return hit.summary;
    missed = true;
    return summarizeRunnable(root, d);
  });
  if (missed) writeCache("ls", root, "", Object.fromEntries(dirs.map((d, i) => [d.path, { key: keys[i]!, summary: summaries[i]! }])), env);
  return summaries;
}

const summaryKey = (root: string, path: string, env: Record<string, string | undefined>) =>
  keyOf([...configInputs(root, path), join(path === "." ? root : join(root, path), "changelog.txt")], [env.DT_REGISTRY ?? ""]);

/**
 * What summarizeAll saw last time in this workspace: how many dirs, and (when there were at
 * most `upTo`) the summaries whose files are still the same, known before git has said which
 * dirs there are now, with the keys computed for them (for summarizeAll, which then need not
 * stamp those files again). Undefined when it never ran here.
 */
export function lastSummaries(root: string, upTo: number, env: Record<string, string | undefined> = process.env) {
  const cached = readCache<Record<string, { key: string; summary: RunnableSummary }>>("ls", root, "", env);
  if (!cached) return undefined;
  const entries = Object.entries(cached);
  const keys = new Map<string, string>();
  if (entries.length <= upTo) for (const [path] of entries) keys.set(path, summaryKey(root, path, env));
  const still = entries.filter(([path, hit]) => keys.get(path) === hit.key).map(([, hit]) => hit.summary);
  return { count: entries.length, still, keys };
}

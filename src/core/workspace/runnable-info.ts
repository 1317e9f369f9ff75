import { join } from "node:path";
import { currentVersion, parseChangelog } from "../version/changelog.ts";
import { configInputs, loadConfig } from "../config/config.ts";
import { keyOf, readCache, writeCache } from "../base/stamp-cache.ts";
import { DtError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import type { RunnableDir } from "./workspace.ts";

export interface RunnableSummary {
  path: string;
  image: string;
  /** The registry prefix its images are named with, or null. */
  registry: string | null;
  version: string | null;
  /** Set when the changelog or config cannot be read, so a listing still shows the rest. */
  problem: string | null;
}

/** Image name and version of a runnable dir, without letting one bad file hide the others. */
export function summarizeRunnable(root: string, dir: RunnableDir): RunnableSummary {
  let image = dir.path === "." ? "?" : dir.path.split("/").at(-1)!;
  let version: string | null = null;
  let registry: string | null = null;
  const problems: string[] = [];
  try {
    ({ image, registry } = loadConfig(root, dir.path).config);
  } catch (e) {
    problems.push(describe(e));
  }
  const file = dir.path === "." ? "changelog.txt" : `${dir.path}/changelog.txt`;
  try {
    version = currentVersion(parseChangelog(readText(join(root, file)) ?? "", file));
  } catch (e) {
    problems.push(describe(e));
  }
  return { path: dir.path, image, registry, version, problem: problems.length ? problems.join("; ") : null };
}

/**
 * summarizeRunnable of each dir, from one cache file per workspace while each dir's own files
 * (what loadConfig reads for it, its changelog) are unchanged: `dt ls` then parses only the
 * dirs whose files changed, and loads no YAML parser when none did.
 */
export function summarizeAll(root: string, dirs: readonly RunnableDir[], env: Record<string, string | undefined> = process.env): RunnableSummary[] {
  const keys = dirs.map((d) => summaryKey(root, d.path, env));
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
 * dirs there are now. Undefined when it never ran here.
 */
export function lastSummaries(root: string, upTo: number, env: Record<string, string | undefined> = process.env) {
  const cached = readCache<Record<string, { key: string; summary: RunnableSummary }>>("ls", root, "", env);
  if (!cached) return undefined;
  const entries = Object.entries(cached);
  const still = entries.length > upTo ? [] : entries.filter(([path, hit]) => hit.key === summaryKey(root, path, env)).map(([, hit]) => hit.summary);
  return { count: entries.length, still };
}

const describe = (e: unknown) =>
  e instanceof DtError ? `${e.where ? `${e.where}: ` : ""}${e.message}` : e instanceof Error ? e.message : String(e);

import { join } from "node:path";
import { currentVersion, parseChangelog } from "../version/changelog.ts";
import { loadConfig } from "../config/config.ts";
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

const describe = (e: unknown) =>
  e instanceof DtError ? `${e.where ? `${e.where}: ` : ""}${e.message}` : e instanceof Error ? e.message : String(e);

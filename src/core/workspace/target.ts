import { usageError } from "../base/errors.ts";
import { currentVersion } from "../version/changelog.ts";
import { valid } from "../version/semver.ts";
import { loadConfig, loadConfigCached, type ResolvedConfig } from "../config/config.ts";
import { imageRef, workspaceKey, type ImageRef, type Stage } from "./image-ref.ts";
import { newestEntryCached, readChangelog } from "../version/changelog-file.ts";
import { resolveTargetDir, type TargetDir } from "./workspace.ts";

/** Everything a docker command needs to know about its target dir. */
export interface Target extends TargetDir {
  resolved: ResolvedConfig;
  /** The changelog's version: what the code needs. */
  version: string;
  ref: (stage: Stage, version?: string) => ImageRef;
  /** The workspace's key in local tags (image-ref.ts: workspaceKey). */
  key: string;
}

/**
 * The target of a command: `--dir` or the runnable dir around `cwd`, with config and version,
 * both read through their caches (loadConfigCached, newestEntryCached): a command that runs
 * one container, as `dt docker cmd` does, then spends no time on YAML or version parsing.
 */
export async function loadTarget(cwd: string, dirArg?: string, env: Record<string, string | undefined> = process.env): Promise<Target> {
  const dir = await resolveTargetDir(cwd, dirArg);
  const [resolved, newest] = await Promise.all([loadConfigCached(dir.root, dir.path, env), newestEntryCached(dir)]);
  return makeTarget(dir, resolved, newest.version);
}

/** A runnable dir already found (a `dt test` selection, a release's own dir) as a Target. */
export function targetOf(dir: TargetDir): Target {
  return makeTarget(dir, loadConfig(dir.root, dir.path), currentVersion(readChangelog(dir)));
}

function makeTarget(dir: TargetDir, resolved: ResolvedConfig, version: string): Target {
  const { config } = resolved;
  const key = workspaceKey(dir.root);
  return {
    key,
    root: dir.root,
    path: dir.path,
    absPath: dir.absPath,
    resolved,
    version,
    ref: (stage, v) => {
      if (v !== undefined && v !== version && !valid(v)) throw usageError(`--version ${v} is not a version`, { hint: "give X.Y.Z, e.g. --version 1.2.0" });
      return imageRef({ registry: config.registry, image: config.image, stage, version: v ?? version, key });
    },
  };
}

/**
 * `dt ci matrix`: which runnable dirs (and shards) of a workspace get a GitHub Actions job. The
 * workflow (workflow.ts) runs the same dt commands a developer runs in each job.
 */
import { loadConfig } from "../config/config.ts";
import { usageError } from "../base/errors.ts";
import { imageRef } from "../workspace/image-ref.ts";
import type { ChangeSet } from "../changes/changed-dirs.ts";
import { scanWorkspace } from "../workspace/workspace.ts";

/** One job of the test matrix. */
interface MatrixEntry {
  /** Runnable dir relative to the workspace root ("." for the root). */
  dir: string;
  /** `REGISTRY/IMAGE`, without a tag. */
  image: string;
  /**
   * `dev`: test in the released dev image (pulled). `local`: the dir's image inputs changed
   * since the base (only known with --changed), so the job builds the image first.
   */
  stage: "dev" | "local";
  /** `I/N`, only when the tests are split into more than one shard. */
  shard?: string;
}

/** What `strategy.matrix` takes; an empty `include` is valid JSON but the job must be skipped. */
interface CiMatrix {
  include: MatrixEntry[];
}

interface MatrixOptions {
  /** Only the runnable dirs changed since `base`. */
  changed?: boolean;
  base?: string;
  /** Jobs per runnable dir (1 = no sharding). */
  shards?: number;
}

interface MatrixResult {
  root: string;
  matrix: CiMatrix;
  /** Set with `changed`: what changed and why each dir is in. */
  changed?: ChangeSet;
}

/** GitHub refuses a matrix of more jobs than this. */
const MAX_JOBS = 256;

/** `--shards N`: a whole number from 1 to MAX_JOBS. */
export function parseShards(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_JOBS) {
    throw usageError(`invalid --shards '${text}': expected a whole number from 1 to ${MAX_JOBS}`, { hint: "e.g. dt ci matrix --shards 2" });
  }
  return n;
}

/** The matrix entries of the given dirs, each split into `shards` jobs. */
function matrixEntries(
  root: string,
  dirs: readonly { path: string; staleImage?: boolean }[],
  shards = 1,
  env: Record<string, string | undefined> = process.env,
): MatrixEntry[] {
  const entries: MatrixEntry[] = [];
  for (const dir of dirs) {
    const { config } = loadConfig(root, dir.path, env);
    // The image name is made in one place; the tag does not matter here.
    const image = imageRef({ registry: config.registry, image: config.image, stage: "dev", version: "0.0.0" }).repository;
    const stage = dir.staleImage ? "local" : "dev";
    if (shards <= 1) entries.push({ dir: dir.path, image, stage });
    else for (let i = 1; i <= shards; i++) entries.push({ dir: dir.path, image, stage, shard: `${i}/${shards}` });
  }
  if (entries.length > MAX_JOBS) {
    throw usageError(`the matrix has ${entries.length} jobs; GitHub Actions allows at most ${MAX_JOBS}`, {
      hint: "use fewer --shards, or --changed to test only what changed",
    });
  }
  return entries;
}

/** The matrix of the workspace around `cwd`: every runnable dir, or the changed ones. */
export async function ciMatrix(cwd: string, options: MatrixOptions = {}, env: Record<string, string | undefined> = process.env): Promise<MatrixResult> {
  if (options.base !== undefined && !options.changed) {
    throw usageError("--base only makes sense with --changed", { hint: `dt ci matrix --changed --base ${options.base}` });
  }
  const ws = await scanWorkspace(cwd, { status: "none" });
  const shards = options.shards ?? 1;
  if (!options.changed) return { root: ws.root, matrix: { include: matrixEntries(ws.root, ws.runnableDirs, shards, env) } };
  // Loaded only for --changed; it owns the git diff and the depends_on rules shared with dt test.
  const { changedRunnableDirs } = await import("../changes/changed-dirs.ts");
  const changed = await changedRunnableDirs(ws, { base: options.base });
  return { root: ws.root, matrix: { include: matrixEntries(ws.root, changed.dirs, shards, env) }, changed };
}

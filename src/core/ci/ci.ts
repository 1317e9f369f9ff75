/**
 * `dt ci`: the GitHub Actions matrix of a workspace and the workflow that uses it. The
 * workflow runs the same dt commands a developer runs; this module only decides which runnable
 * dirs (and shards) get a job and writes the workflow file.
 */
import { join } from "node:path";
import { asset, fillTemplate } from "../base/assets.ts";
import { loadConfig } from "../config/config.ts";
import { usageError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { gitRaw } from "../git/git.ts";
import { imageRef } from "../workspace/image-ref.ts";
import type { ChangeSet } from "../changes/changed-dirs.ts";
import { findWorkspaceRoot, readHead, scanWorkspace } from "../workspace/workspace.ts";

/** One job of the test matrix. */
export interface MatrixEntry {
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
export interface CiMatrix {
  include: MatrixEntry[];
}

export interface MatrixOptions {
  /** Only the runnable dirs changed since `base`. */
  changed?: boolean;
  base?: string;
  /** Jobs per runnable dir (1 = no sharding). */
  shards?: number;
}

export interface MatrixResult {
  root: string;
  matrix: CiMatrix;
  /** Set with `changed`: what changed and why each dir is in. */
  changed?: ChangeSet;
}

/** GitHub refuses a matrix of more jobs than this. */
export const MAX_JOBS = 256;

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
export function matrixEntries(
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
  const ws = await scanWorkspace(cwd, { dirty: false });
  const shards = options.shards ?? 1;
  if (!options.changed) return { root: ws.root, matrix: { include: matrixEntries(ws.root, ws.runnableDirs, shards, env) } };
  // Loaded only for --changed; it owns the git diff and the depends_on rules shared with dt test.
  const { changedRunnableDirs } = await import("../changes/changed-dirs.ts");
  const changed = await changedRunnableDirs(ws, { base: options.base });
  return { root: ws.root, matrix: { include: matrixEntries(ws.root, changed.dirs, shards, env) }, changed };
}

// ---------------------------------------------------------------- the workflow

export const WORKFLOW_PATH = ".github/workflows/dt.yml";

export interface WorkflowValues {
  /** The branch whose pushes test every runnable dir. */
  defaultBranch: string;
  /** Host of the registry the dev images come from ("" = no login step runs). */
  registryHost: string;
}

export const renderWorkflow = (values: WorkflowValues) =>
  fillTemplate(asset("templates/github/dt.yml"), { default_branch: values.defaultBranch, registry_host: values.registryHost });

/**
 * The registry host of `REGISTRY[/NAMESPACE]`: the first component when it looks like a host
 * (has a dot or a port, or is localhost), else Docker Hub, as the Docker CLI decides.
 */
export function registryHost(registry: string | null | undefined): string {
  if (!registry) return "";
  const first = registry.split("/")[0]!;
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
}

/** origin's default branch, else the checked-out branch, else `main`. */
export async function defaultBranch(root: string): Promise<string> {
  const remote = await gitRaw(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], root);
  const fromRemote = remote.code === 0 ? remote.stdout.trim().replace(/^origin\//, "") : "";
  return fromRemote || readHead(root)?.branch || "main";
}

export interface WriteWorkflowResult {
  root: string;
  /** Workspace-relative. */
  path: string;
  status: "wrote" | "kept" | "unchanged";
}

/** Writes the workflow at the workspace root; an existing different file is kept without `force`. */
export async function writeWorkflow(cwd: string, options: { force?: boolean } = {}): Promise<WriteWorkflowResult> {
  const root = findWorkspaceRoot(cwd);
  // The repo's own registry, not this shell's DT_REGISTRY: the file is committed.
  const { config } = loadConfig(root, ".", {});
  const text = renderWorkflow({ defaultBranch: await defaultBranch(root), registryHost: registryHost(config.registry) });
  const abs = join(root, WORKFLOW_PATH);
  const existing = readText(abs);
  if (existing === text) return { root, path: WORKFLOW_PATH, status: "unchanged" };
  if (existing !== undefined && !options.force) return { root, path: WORKFLOW_PATH, status: "kept" };
  writeFileAtomic(abs, text);
  return { root, path: WORKFLOW_PATH, status: "wrote" };
}

/**
 * `dt ci init`: the workflow file that runs the matrix (matrix.ts) with the same dt commands a
 * developer runs.
 */
import { join } from "node:path";
import { asset, fillTemplate } from "../base/assets.ts";
import { loadConfig } from "../config/config.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { defaultBranch } from "../git/default-branch.ts";
import { registryHost } from "../registry/docker-config.ts";
import { findWorkspaceRoot, readHead } from "../workspace/workspace.ts";

const WORKFLOW_PATH = ".github/workflows/dt.yml";

interface WorkflowValues {
  /** The branch whose pushes test every runnable dir. */
  defaultBranch: string;
  /** Host of the registry the dev images come from ("" = no login step runs). */
  registryHost: string;
}

const renderWorkflow = (values: WorkflowValues) =>
  fillTemplate(asset("templates/github/dt.yml"), { default_branch: values.defaultBranch, registry_host: values.registryHost });

interface WriteWorkflowResult {
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
  // Unlike --changed, a guess (the checked-out branch, else main) beats no workflow: the file
  // names the branch in plain sight, to be edited if wrong.
  const branch = (await defaultBranch(root, readHead(root)?.branch ?? null))?.name ?? "main";
  const text = renderWorkflow({ defaultBranch: branch, registryHost: config.registry ? registryHost(config.registry) : "" });
  const abs = join(root, WORKFLOW_PATH);
  const existing = readText(abs);
  if (existing === text) return { root, path: WORKFLOW_PATH, status: "unchanged" };
  if (existing !== undefined && !options.force) return { root, path: WORKFLOW_PATH, status: "kept" };
  writeFileAtomic(abs, text);
  return { root, path: WORKFLOW_PATH, status: "wrote" };
}

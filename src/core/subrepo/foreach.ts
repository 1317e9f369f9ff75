import { ExitCode, envError } from "../base/errors.ts";
import { findSubRepos, findWorkspaceRoot, type SubRepo } from "../workspace/workspace.ts";
import { absOf } from "./paths.ts";

interface ForeachResult {
  /** The exit code of the first command that failed, else 0. */
  code: number;
  ran: string[];
  failed: { path: string; code: number }[];
}

/**
 * Runs `argv` (no shell) in every initialised sub-repo, outermost first, with
 * DT_SUBREPO_PATH and DT_SUBREPO_NAME set; stdio is the command's. Stops at the first failure
 * unless `keepGoing`.
 */
export async function foreachSubRepo(o: { cwd: string; argv: string[]; keepGoing?: boolean; onStart?: (s: SubRepo) => void }): Promise<ForeachResult> {
  const root = findWorkspaceRoot(o.cwd);
  const result: ForeachResult = { code: ExitCode.ok, ran: [], failed: [] };
  for (const sub of findSubRepos(root).filter((s) => s.initialised)) {
    o.onStart?.(sub);
    let exited: Promise<number>;
    try {
      exited = Bun.spawn(o.argv, {
        cwd: absOf(root, sub.path),
        env: { ...process.env, DT_SUBREPO_PATH: sub.path, DT_SUBREPO_NAME: sub.name },
        stdio: ["inherit", "inherit", "inherit"],
      }).exited;
    } catch (cause) {
      throw envError(`cannot run '${o.argv[0]}' in ${sub.path}: not found or not executable`, {
        hint: "check the command; for shell syntax run it through a shell: dt subrepo foreach -- sh -c '...'",
        cause,
      });
    }
    const code = await exited;
    result.ran.push(sub.path);
    if (code !== 0) {
      result.failed.push({ path: sub.path, code });
      if (result.code === ExitCode.ok) result.code = code;
      if (!o.keepGoing) break;
    }
  }
  return result;
}

import type { RunOptions } from "../../core/run/run-in-container.ts";

/**
 * `dt docker bash|cmd|jupyter`: the target and engine resolved once, the container run with
 * dt's own terminal as its stdio.
 */
export async function runTargetContainer(dir: string | undefined, options: RunOptions, interactive: boolean): Promise<number> {
  const [{ loadTarget }, { findSubRepos }, { connectEngine }, { checkRunOptions, runInContainer }, { terminalIO }, { info }] = await Promise.all([
    import("../../core/workspace/target.ts"),
    import("../../core/workspace/workspace.ts"),
    import("../../core/engine/connect.ts"),
    import("../../core/run/run-in-container.ts"),
    import("../../ui/container-io.ts"),
    import("../../ui/output.ts"),
  ]);
  checkRunOptions(options);
  const [target, engine] = await Promise.all([loadTarget(process.cwd(), dir), connectEngine()]);
  return runInContainer(engine, target, findSubRepos(target.root), options, terminalIO({ interactive }), info);
}

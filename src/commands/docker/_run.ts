import type { ContainerIO } from "../../core/run/containers.ts";
import type { RunOptions } from "../../core/run/run-in-container.ts";

/** The target and the engine, resolved once for one or more containers of the dir. */
export async function targetRunner(dir: string | undefined) {
  const [{ loadTarget }, { findSubRepos }, { connectEngine }, { runInContainer }, { info }] = await Promise.all([
    import("../../core/workspace/target.ts"),
    import("../../core/workspace/workspace.ts"),
    import("../../core/engine/connect.ts"),
    import("../../core/run/run-in-container.ts"),
    import("../../ui/output.ts"),
  ]);
  const [target, engine] = await Promise.all([loadTarget(process.cwd(), dir), connectEngine()]);
  const subRepos = findSubRepos(target.root);
  return { target, run: (options: RunOptions, io: ContainerIO) => runInContainer(engine, target, subRepos, options, io, info) };
}

/**
 * `dt docker bash|cmd|jupyter`: the target and engine resolved once, the container run with
 * dt's own terminal as its stdio.
 */
export async function runTargetContainer(dir: string | undefined, options: RunOptions, interactive: boolean): Promise<number> {
  const [{ checkRunOptions }, { terminalIO }] = await Promise.all([import("../../core/run/run-in-container.ts"), import("../../ui/container-io.ts")]);
  checkRunOptions(options);
  return (await targetRunner(dir)).run(options, terminalIO({ interactive }));
}

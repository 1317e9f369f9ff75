import { defineCommand } from "../_define.ts";

export default defineCommand({
  meta: {
    name: "init",
    description: "Write .github/workflows/dt.yml at the workspace root: install dt, compute the matrix, pull the images, dt test per entry. Never overwrites without --force.",
  },
  args: {
    force: { type: "boolean", description: "Overwrite an existing workflow" },
  },
  async run({ args, cwd }) {
    const { writeWorkflow } = await import("../../core/ci/workflow.ts");
    const { info, out, c } = await import("../../ui/output.ts");
    const { join, relative } = await import("node:path");
    const { realpathSync } = await import("node:fs");
    const result = await writeWorkflow(cwd, { force: args.force });
    // Relative to where the user stands, so the path is right from a sub-dir too.
    const shown = relative(realpathSync(cwd), join(result.root, result.path));
    if (result.status === "kept") {
      out(`${c.yellow("kept")}  ${shown} (exists and differs; --force overwrites)`);
      return;
    }
    out(result.status === "wrote" ? `${c.green("wrote")} ${shown}` : `${shown} is up to date`);
    if (result.status === "wrote") info("next: commit it; a pull request then tests the runnable dirs it changes");
  },
});

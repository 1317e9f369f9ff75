import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "clean",
    description: "Remove your stopped dt containers in this workspace, running ones whose dt process is provably gone, and dangling dt images",
  },
  args: {
    ...jsonArgs,
    all: { type: "boolean", description: "Every workspace and every user's orphans, not just your own in this workspace" },
    "dry-run": { type: "boolean", description: "Show what would be removed" },
  },
  async run({ args, cwd }) {
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const { cleanDt } = await import("../../core/run/clean.ts");
    const { findWorkspaceRoot } = await import("../../core/workspace/workspace.ts");
    const { out, outDocument } = await import("../../ui/output.ts");
    const workspace = args.all ? undefined : findWorkspaceRoot(cwd);
    const result = await cleanDt(await connectEngine(), { workspace, dryRun: Boolean(args["dry-run"]), allUsers: Boolean(args.all) });
    if (args.json) {
      outDocument(result);
      return;
    }
    const verb = args["dry-run"] ? "would remove" : "removed";
    for (const c of result.containers) out(`${verb} container ${c.name} (${c.runnableDir}, ${c.state})`);
    for (const i of result.images) out(`${verb} image ${i}`);
    const move = args["dry-run"] ? "would retag" : "retagged";
    for (const t of result.retagged) out(`${move} ${t.from} -> ${t.to} (local tags now carry the workspace key)`);
    if (result.containers.length + result.images.length + result.retagged.length === 0) out("nothing to clean");
  },
});

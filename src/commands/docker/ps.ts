import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: { name: "ps", description: "dt's containers of this workspace (running and stopped)" },
  args: {
    ...jsonArgs,
    all: { type: "boolean", description: "Containers of every workspace, not just this one" },
  },
  async run({ args, cwd }) {
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const { listDtContainers } = await import("../../core/run/containers.ts");
    const { findWorkspaceRoot } = await import("../../core/workspace/workspace.ts");
    const { out, outDocument, table } = await import("../../ui/output.ts");
    const workspace = args.all ? undefined : findWorkspaceRoot(cwd);
    const containers = await listDtContainers(await connectEngine(), workspace);
    if (args.json) {
      outDocument({ workspace: workspace ?? null, containers });
      return;
    }
    if (containers.length === 0) {
      out("no dt containers");
      return;
    }
    out(table(["ID", "NAME", "DIR", "IMAGE", "STATUS"], containers.map((c) => [c.id, c.name, c.runnableDir, c.image, c.status]), { shrink: [1, 3] }));
  },
});

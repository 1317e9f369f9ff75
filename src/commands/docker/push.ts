import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, stageArgs } from "../_shared.ts";
import { transferDisplay } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "push", description: "Push the stage's versioned and floating tags to the registry, with layer progress" },
  args: {
    ...dirArgs,
    ...stageArgs,
    registry: { type: "string", description: "A registry named under registries: in dt.yaml (default: registry:)", valueHint: "NAME" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { pushStage } = await import("../../core/registry-ops.ts");
    const { outJson } = await import("../../ui/output.ts");
    const ui = await transferDisplay("push");
    try {
      const result = await pushStage({ cwd, dir: args.dir, stage: (args.stage ?? "dev") as never, version: args.version, registry: args.registry }, ui.onEvent);
      ui.bar.succeed(`pushed ${result.tags.map((t) => `${t.repository}:${t.tag}`).join(", ")}`);
      if (args.json) outJson(result);
    } catch (e) {
      ui.bar.fail("push failed");
      throw e;
    }
  },
});

import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, stageArgs } from "../_shared.ts";
import { transferDisplay } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "pull", description: "Pull the stage's image (floating tag, or --version's) from the registry, with layer progress" },
  args: {
    ...dirArgs,
    ...stageArgs,
    registry: { type: "string", description: "A registry named under registries: in dt.yaml (default: registry:)", valueHint: "NAME" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { pullStage } = await import("../../core/registry-ops.ts");
    const { outJson } = await import("../../ui/output.ts");
    const ui = await transferDisplay("pull");
    try {
      const result = await pullStage({ cwd, dir: args.dir, stage: (args.stage ?? "dev") as never, version: args.version, registry: args.registry }, ui.onEvent);
      ui.bar.succeed(`pulled ${result.image}`);
      if (args.json) outJson(result);
    } catch (e) {
      ui.bar.fail("pull failed");
      throw e;
    }
  },
});

import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, registryArgs, stageArgs } from "../_shared.ts";
import { runTransfer } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "pull", description: "Pull the stage's image (floating tag, or --version's) from the registry, with layer progress" },
  args: {
    ...dirArgs,
    ...stageArgs,
    ...registryArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { pullStage } = await import("../../core/registry/stage-ops.ts");
    const { engine, target } = await (await import("./_target.ts")).targetAndEngine(cwd, args.dir, { writesTags: true });
    await runTransfer(
      "pull",
      args.json,
      (onEvent) => pullStage(engine, target, { stage: args.stage ?? "dev", version: args.version, registry: args.registry }, onEvent),
      (result) => `pulled ${result.image}`,
    );
  },
});

import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, registryArgs, stageArgs } from "../_shared.ts";
import { movedText, runTransfer } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "push", description: "Push the stage's versioned and floating tags to the registry, with layer progress" },
  args: {
    ...dirArgs,
    ...stageArgs,
    ...registryArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { pushStage } = await import("../../core/registry/stage-ops.ts");
    const { engine, target } = await (await import("./_target.ts")).targetAndEngine(cwd, args.dir, { writesTags: true });
    await runTransfer(
      "push",
      args.json,
      (onEvent) => pushStage(engine, target, { stage: args.stage ?? "dev", version: args.version, registry: args.registry }, onEvent),
      (result) => `pushed ${result.tags.map((t) => `${t.repository}:${t.tag}`).join(", ")}${movedText(result.moved)}`,
    );
  },
});

import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, registryArgs } from "../_shared.ts";
import { movedText, runTransfer } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "rollback", description: "Point the floating tag (dev or prod) back at version V, in the registry and locally" },
  args: {
    stage: { type: "positional", required: true, description: "dev or prod", complete: ["dev", "prod"] },
    version: { type: "string", required: true, description: "The released version to go back to", valueHint: "X.Y.Z" },
    ...registryArgs,
    ...dirArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { usageError } = await import("../../core/base/errors.ts");
    if (args.stage !== "dev" && args.stage !== "prod") throw usageError(`cannot roll back '${args.stage}'`, { hint: "dt docker rollback dev|prod --version X.Y.Z" });
    const { rollback } = await import("../../core/registry/stage-ops.ts");
    const { engine, target } = await (await import("./_target.ts")).targetAndEngine(cwd, args.dir, { writesTags: true });
    const stage = args.stage;
    await runTransfer(
      "rollback",
      args.json,
      (onEvent) => rollback(engine, target, { stage, version: args.version, registry: args.registry }, onEvent),
      (result) => `${result.image} now points at ${stage}-${args.version}${movedText(result.moved)}`,
    );
  },
});

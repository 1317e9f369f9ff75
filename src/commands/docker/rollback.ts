import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";
import { transferDisplay } from "./_transfer-ui.ts";

export default defineCommand({
  meta: { name: "rollback", description: "Point the floating tag (dev or prod) back at version V, in the registry and locally" },
  args: {
    stage: { type: "positional", required: true, description: "dev or prod" },
    version: { type: "string", required: true, description: "The released version to go back to", valueHint: "X.Y.Z" },
    registry: { type: "string", description: "A registry named under registries: in dt.yaml (default: registry:)", valueHint: "NAME" },
    ...dirArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { usageError } = await import("../../core/errors.ts");
    if (args.stage !== "dev" && args.stage !== "prod") throw usageError(`cannot roll back '${args.stage}'`, { hint: "dt docker rollback dev|prod --version X.Y.Z" });
    const { rollback } = await import("../../core/registry-ops.ts");
    const { outJson } = await import("../../ui/output.ts");
    const ui = await transferDisplay("rollback");
    try {
      const result = await rollback({ cwd, dir: args.dir, stage: args.stage, version: args.version, registry: args.registry }, ui.onEvent);
      ui.bar.succeed(`${result.image} now points at ${args.stage}-${args.version}`);
      if (args.json) outJson(result);
    } catch (e) {
      ui.bar.fail("rollback failed");
      throw e;
    }
  },
});

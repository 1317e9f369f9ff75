import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: { name: "bash", description: "Interactive shell in the target dir's container (bash, or sh where the image has no bash)" },
  args: { ...runArgs },
  async run({ args, cwd }) {
    const { runTargetContainer } = await import("./_run.ts");
    const shell = ["sh", "-c", 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];
    return runTargetContainer(args.dir, { ...runOptionsFrom(args, cwd), cmd: shell }, true);
  },
});

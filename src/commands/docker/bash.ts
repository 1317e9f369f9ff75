import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: { name: "bash", description: "Interactive shell in the target dir's container (bash, or sh where the image has no bash)" },
  args: { ...runArgs },
  async run({ args, cwd }) {
    const { runInContainer } = await import("../../core/run/run-in-container.ts");
    const shell = ["sh", "-c", 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];
    return runInContainer({ ...runOptionsFrom(args, cwd), interactive: true, cmd: shell });
  },
});

import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "cmd",
    description: "Run one command in the target dir's container; its stdout, stderr and exit code are the command's",
    usage: "Example: dt docker cmd -- python3 -m pytest -x",
  },
  args: { ...runArgs },
  variadic: true,
  async run({ args, rest, extra, cwd }) {
    const command = [...extra, ...rest];
    if (command.length === 0) {
      const { usageError } = await import("../../core/base/errors.ts");
      throw usageError("no command to run", { hint: "put it after --, e.g. dt docker cmd -- ls -la" });
    }
    const { runTargetContainer } = await import("./_run.ts");
    return runTargetContainer(args.dir, { ...runOptionsFrom(args, cwd), cmd: command }, false);
  },
});

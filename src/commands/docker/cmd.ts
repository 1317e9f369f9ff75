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
    const { runInContainer } = await import("../../core/run/run-in-container.ts");
    return runInContainer({ ...runOptionsFrom(args, cwd), interactive: false, cmd: command });
  },
});

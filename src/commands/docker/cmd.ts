import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "cmd",
    description: "Run one command in the target dir's container; its stdout, stderr and exit code are the command's",
    usage: [
      "Examples: dt docker cmd python3 --version;  dt docker cmd --stage dev python3 -m pytest -x",
      "The first word that is not one of the options above starts the command: it and every word after",
      "it are the command's, flags included (as in 'docker run IMAGE CMD...'). '--' before it works too.",
    ].join("\n"),
  },
  args: { ...runArgs },
  passThrough: true,
  variadic: true,
  async run({ args, rest, extra, cwd }) {
    const command = [...extra, ...rest];
    if (command.length === 0) {
      const { usageError } = await import("../../core/base/errors.ts");
      throw usageError("no command to run", { hint: "name it after the options, e.g. dt docker cmd ls -la" });
    }
    const { runTargetContainer } = await import("./_run.ts");
    return runTargetContainer(args.dir, { ...runOptionsFrom(args, cwd), cmd: command }, false);
  },
});

import { defineCommand } from "../_define.ts";

export default defineCommand({
  meta: {
    name: "foreach",
    description: "Run a command in every initialised sub-repo, outermost first (env DT_SUBREPO_PATH, DT_SUBREPO_NAME); stop at the first failure with its exit code",
    usage: "Example: dt subrepo foreach -- git status --short\n         dt subrepo foreach -- sh -c 'echo $DT_SUBREPO_PATH'",
  },
  args: {
    "keep-going": { type: "boolean", description: "Run in every sub-repo even after a failure; exit with the first failure's code" },
  },
  variadic: true,
  async run({ args, rest, extra, cwd }) {
    const command = [...extra, ...rest];
    const { usageError } = await import("../../core/base/errors.ts");
    if (command.length === 0) throw usageError("no command to run", { hint: "put it after --, e.g. dt subrepo foreach -- git status --short" });
    const { foreachSubRepo } = await import("../../core/subrepo/foreach.ts");
    const { info, warn, c } = await import("../../ui/output.ts");
    const result = await foreachSubRepo({ cwd, argv: command, keepGoing: Boolean(args["keep-going"]), onStart: (s) => info(c.bold(`==> ${s.path}`)) });
    if (result.ran.length === 0) info("no initialised sub-repos");
    for (const f of result.failed) warn(`${f.path}: exit ${f.code}`);
    return result.code;
  },
});

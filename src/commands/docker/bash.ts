import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "bash",
    description: "Interactive shell in the target dir's container (bash, or sh where the image has no bash)",
    usage: "Words after the options (or after --) are the shell's: dt docker bash -- -lc 'echo $DT_STAGE', dt docker bash script.sh ARG.",
  },
  args: { ...runArgs },
  passThrough: true,
  variadic: true,
  async run({ args, rest, extra, cwd }) {
    const { runTargetContainer } = await import("./_run.ts");
    const shell = ["sh", "-c", 'if command -v bash >/dev/null 2>&1; then exec bash "$@"; else exec sh "$@"; fi', "sh", ...extra, ...rest];
    return runTargetContainer(args.dir, { ...runOptionsFrom(args, cwd), cmd: shell }, true);
  },
});

import { defineCommand } from "./_define.ts";

export default defineCommand({
  meta: {
    name: "completion",
    description: "Print the shell completion script",
    usage: "Load it with: source <(dt completion bash)  |  source <(dt completion zsh)  |  dt completion fish | source",
  },
  args: {
    shell: { type: "positional", required: true, description: "bash, zsh or fish", complete: ["bash", "zsh", "fish"] },
  },
  async run({ args }) {
    const { usageError } = await import("../core/base/errors.ts");
    const shell = args.shell;
    if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
      throw usageError(`no completion for shell '${shell}'`, { hint: "use bash, zsh or fish" });
    }
    const { asset } = await import("../core/base/assets.ts");
    const { writeAll } = await import("../ui/fd.ts");
    writeAll(1, asset(`completion/dt.${shell}`));
  },
});

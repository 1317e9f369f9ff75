import { defineCommand } from "./_define.ts";

export default defineCommand({
  meta: {
    name: "setenv",
    description: "Print shell code that sets the workspace's DT_* variables, PATH, PYTHONPATH and completion",
    usage: [
      'Load it with: eval "$(dt setenv)"  |  dt setenv --shell fish | source',
      "Evaluating it twice adds nothing twice; it never removes what you had. Outside a workspace it",
      "prints only a comment (and completion) and exits 0, so a shell rc can call it anywhere.",
      "--inside is the variant for a shell inside a dt container (e.g. 'docker exec'): the workspace",
      "as mounted (DT_WORKSPACE), the DT_* values dt passed in, no completion. It adds the same",
      "PATH/PYTHONPATH dirs the container entrypoint applies from DT_PATH/DT_PYTHONPATH.",
    ].join("\n"),
  },
  args: {
    shell: { type: "enum", options: ["bash", "zsh", "fish", "sh"], description: "Shell to write for (default: the shell running dt, else $SHELL, else bash)", valueHint: "bash|zsh|fish|sh" },
    inside: { type: "boolean", description: "Inside a dt container: paths as mounted, no completion" },
  },
  async run({ args, cwd }) {
    const { defaultShell, parentName, renderSetenv, workspaceEnv } = await import("../core/shell/setenv.ts");
    const shell = args.shell ?? defaultShell(process.env, parentName());
    const ws = await workspaceEnv(cwd, { inside: Boolean(args.inside) });
    if (ws === undefined) {
      const { debug } = await import("../ui/output.ts");
      debug(`dt setenv: ${cwd} is not inside a git workspace; only completion is set`);
    }
    let completion: string | undefined;
    if (!args.inside && shell !== "sh") {
      const { asset } = await import("../core/base/assets.ts");
      completion = asset(`completion/dt.${shell}`);
    }
    // Not process.stdout: its first use costs ~20 ms in a compiled binary, paid at every shell start.
    const { writeAll } = await import("../ui/fd.ts");
    writeAll(1, renderSetenv(shell, ws, { cwd, completion }));
  },
});

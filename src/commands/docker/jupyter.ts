import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: { name: "jupyter", description: "JupyterLab in the target dir's container, port published, URL printed" },
  args: {
    ...runArgs,
    port: { type: "string", description: "Host port, or 'auto' for a free one (default: auto)", valueHint: "N|auto" },
  },
  async run({ args, cwd }) {
    const { resolvePort, jupyterCommand, jupyterEnv, jupyterUrl, newToken } = await import("../../core/run/jupyter.ts");
    const { runTargetContainer } = await import("./_run.ts");
    const { info } = await import("../../ui/output.ts");
    const port = await resolvePort(args.port);
    const network = args.network ?? "host";
    const token = newToken();
    info(`JupyterLab: ${jupyterUrl(port, token)} (Ctrl-C stops it)`);
    return runTargetContainer(
      args.dir,
      {
        ...runOptionsFrom(args, cwd),
        network,
        cmd: jupyterCommand(port, network === "host" ? "127.0.0.1" : "0.0.0.0"),
        env: jupyterEnv(token),
        ports: network === "host" ? undefined : [{ container: port, host: port }],
      },
      false,
    );
  },
});

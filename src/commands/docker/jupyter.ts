import { defineCommand } from "../_define.ts";
import { runArgs, runOptionsFrom } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "jupyter",
    description: "JupyterLab in the target dir's container, port published, URL printed once the server answers",
    usage: "Exit 3 when the image has no 'jupyter' on its PATH (add jupyterlab to the image's dependencies).",
  },
  args: {
    ...runArgs,
    port: { type: "string", description: "Host port, or 'auto' for a free one (default: auto)", valueHint: "N|auto" },
  },
  async run({ args, cwd }) {
    const { resolvePort, jupyterCommand, jupyterEnv, jupyterUrl, newToken, withJupyterCheck, JUPYTER_MISSING, noJupyterError, serverAnswers } = await import("../../core/run/jupyter.ts");
    const { checkRunOptions } = await import("../../core/run/run-in-container.ts");
    const { terminalIO } = await import("../../ui/container-io.ts");
    const { targetRunner } = await import("./_run.ts");
    const { info } = await import("../../ui/output.ts");
    const port = await resolvePort(args.port);
    const network = args.network ?? "host";
    const token = newToken();
    const options = {
      ...runOptionsFrom(args, cwd),
      network,
      cmd: withJupyterCheck(jupyterCommand(port, network === "host" ? "127.0.0.1" : "0.0.0.0")),
      // The token in the container's environment, not on a command line every local user sees.
      env: jupyterEnv(token),
      ports: network === "host" ? undefined : [{ container: port, host: port }],
    };
    checkRunOptions(options);
    const { target, run } = await targetRunner(args.dir);
    // The URL is a promise that a server answers there: printed once it does, never for a
    // server that did not start.
    const url = jupyterUrl(port, token);
    let running = true;
    let announced = false;
    void (async () => {
      while (running && !(await serverAnswers(port))) await Bun.sleep(250);
      if (!running) return;
      announced = true;
      info(`JupyterLab: ${url} (Ctrl-C stops it)`);
    })();
    info(`starting JupyterLab in the container of ${target.path === "." ? "the root dir" : target.path} on port ${port}...`);
    const code = await run(options, terminalIO({ interactive: false }));
    running = false;
    if (code === JUPYTER_MISSING && !announced) throw noJupyterError(target.path);
    return code;
  },
});

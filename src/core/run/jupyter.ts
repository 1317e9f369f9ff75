import { createServer } from "node:net";
import { DtError, envError, usageError } from "../base/errors.ts";

/** A free TCP port on loopback, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function resolvePort(arg: string | undefined): Promise<number> {
  if (arg === undefined || arg === "auto") return freePort();
  const port = Number(arg);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError(`--port ${arg} is not a port`, { hint: "give a number from 1 to 65535, or auto" });
  }
  return port;
}

/** A fresh login token: anyone else on a shared machine can reach a loopback port too. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The server listens on `ip` only (loopback with the host network). The token is not on its
 * command line, which every local user can read (`ps`, /proc/PID/cmdline): see `jupyterEnv`.
 */
export const jupyterCommand = (port: number, ip: string) => ["jupyter", "lab", "--no-browser", `--ip=${ip}`, `--port=${port}`, "--ServerApp.password="];

/**
 * The token goes in the container's environment, where JupyterLab reads it (JUPYTER_TOKEN):
 * /proc/PID/environ is readable only by the process's own user (and root), and the engine API
 * that also shows it is open only to those who may use the engine.
 */
export const jupyterEnv = (token: string) => ({ JUPYTER_TOKEN: token });

export const jupyterUrl = (port: number, token: string) => `http://127.0.0.1:${port}/lab?token=${token}`;


/** The exit code of withJupyterCheck when the image has no `jupyter`: the shell's "not found". */
export const JUPYTER_MISSING = 127;

/**
 * The server command behind a check that `jupyter` is on the container's PATH (its entrypoint
 * puts the workspace's dev_scripts there too), so a missing JupyterLab is told apart from a
 * server that stopped, without a second container.
 */
export const withJupyterCheck = (command: string[]) => ["sh", "-c", `command -v jupyter >/dev/null 2>&1 || exit ${JUPYTER_MISSING}; exec "$@"`, "sh", ...command];

/** Whether anything answers HTTP on the loopback port (a published port accepts before the server listens). */
export async function serverAnswers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual", signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** The image has no `jupyter` on its PATH: exit 3, with how to add JupyterLab to it. */
export function noJupyterError(dir: string): DtError {
  const where = dir === "." ? "" : ` of ${dir}`;
  return envError(`JupyterLab is not in the image${where}: no 'jupyter' on the container's PATH`, {
    hint: `add jupyterlab to the image: list it under [tool.poetry.dependencies] in ${dir === "." ? "" : `${dir}/`}pyproject.toml (poetry add jupyterlab), then dt docker build`,
  });
}

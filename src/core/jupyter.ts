import { createServer } from "node:net";
import { usageError } from "./errors.ts";

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
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

/**
 * No token: the server is reachable from this machine only (loopback with the host network,
 * or a port published on 127.0.0.1 otherwise).
 */
export const jupyterCommand = (port: number, ip: string) => [
  "jupyter",
  "lab",
  "--no-browser",
  `--ip=${ip}`,
  `--port=${port}`,
  "--ServerApp.token=",
  "--ServerApp.password=",
];

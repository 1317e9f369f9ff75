import { DtError, envError } from "../base/errors.ts";
import { ENGINE_HOST_FORMS, engineHost } from "./engine-host.ts";
import { hostName, lastRefusedHostKey, type RefusedHostKey } from "./known-hosts.ts";

export const START_HINT =
  "start the Docker engine (e.g. 'sudo systemctl start docker', or 'sudo dockerd &'), or point DOCKER_HOST at one";

// ENOTFOUND and EAI_AGAIN: a tcp:// or ssh:// host name that does not resolve (now, or at all).
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** Turns a failed engine call into a DtError: unreachable engine is exit 3 with how to start it. */
export function engineError(cause: unknown, doing: string): DtError {
  if (cause instanceof DtError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const deadlineMs = (cause as { deadlineMs?: number } | undefined)?.deadlineMs;
  if (deadlineMs !== undefined) {
    return envError(`the Docker engine at ${engineHost()} did not answer within ${seconds(deadlineMs)} while ${doing}`, {
      hint: "check that DOCKER_HOST names a Docker engine and that it answers ('docker info'); restart it if it hangs",
      cause,
    });
  }
  if (lastRefusedHostKey && /Host denied/i.test(cause instanceof Error ? cause.message : "")) return hostKeyError(lastRefusedHostKey);
  if (code && UNREACHABLE.has(code)) {
    const hint =
      code === "EACCES"
        ? "add your user to the docker group, or run with access to the engine socket"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? `check the host name in DOCKER_HOST (${ENGINE_HOST_FORMS}), or unset it for the local engine`
          : START_HINT;
    return envError(`the Docker engine at ${engineHost()} is not reachable (${code}) while ${doing}`, { hint, cause });
  }
  const status = statusOf(cause);
  return new DtError(status && status < 500 ? 1 : 3, `the engine refused ${doing}: ${engineMessage(cause)}`, { cause });
}

function hostKeyError({ host, port, verdict }: RefusedHostKey): DtError {
  const name = hostName(host, port);
  const what = verdict === "unknown" ? "is not in known_hosts" : verdict === "revoked" ? "is revoked in known_hosts" : "is not the one known_hosts has for it";
  const hint =
    verdict === "unknown"
      ? `check the key and add it (ssh-keyscan -p ${port} ${host} >> ~/.ssh/known_hosts), or log in once with ssh -p ${port} ${host}`
      : verdict === "revoked"
        ? "the server's key was revoked: ask its administrator for the new one"
        : `if the server's key was changed on purpose, replace the old one (ssh-keygen -R '${name}', then add the new); if not, someone may be between you and it`;
  return envError(`the Docker engine at ${engineHost()} was not connected to: its ssh host key (${name}) ${what}`, { hint });
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

function engineMessage(cause: unknown): string {
  const json = (cause as { json?: { message?: string } } | undefined)?.json;
  if (json?.message) return json.message;
  const reason = (cause as { reason?: string } | undefined)?.reason;
  const message = cause instanceof Error ? cause.message : String(cause);
  return (message.replace(/^\(HTTP code \d+\)\s*/, "") || reason || "unknown error").trim();
}

/** Runs one engine call, mapping its failure the dt way. */
export async function engineCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw engineError(cause, doing);
  }
}

/** The HTTP status of a failed engine call (dockerode's `statusCode`, or the one dt sets). */
export const statusOf = (e: unknown) => (e as { statusCode?: number } | undefined)?.statusCode;

export const isNotFound = (e: unknown) => statusOf(e) === 404;

/** The `message` of an engine's JSON error body, or the body as it is. */
export const engineBodyMessage = (body: string) => {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
};

/**
 * The engine's connection broke or went away (what a container's wait sees when the engine
 * shuts down under it before it can say the container ended).
 */
export function lostEngine(error: unknown): boolean {
  const code = (error instanceof DtError ? (error.cause as NodeJS.ErrnoException | undefined) : undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNREFUSED" || code === "ENOENT";
}

/** The error of a command whose engine shut down under it (exit 3, with how to start it again). */
export function engineStoppedError(exitCode: number): DtError {
  const signal = exitCode > 128 ? ` (the command got signal ${exitCode - 128})` : "";
  return envError(`the Docker engine at ${engineHost()} stopped while the container was running${signal}`, {
    hint: `${START_HINT}; then 'dt docker clean' removes anything left behind`,
  });
}

import type Docker from "dockerode";
import { DtError, envError } from "../base/errors.ts";

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  host: string;
}

export const engineHost = (env = process.env) => env.DOCKER_HOST || "unix:///var/run/docker.sock";

export const START_HINT =
  "start the Docker engine (e.g. 'sudo systemctl start docker', or 'sudo dockerd &'), or point DOCKER_HOST at one";

let shared: Docker | undefined;

/** dockerode, loaded on first use only: `dt --help` and friends never pay for it. */
export async function connect(options: { timeoutMs?: number } = {}): Promise<Docker> {
  if (shared && !options.timeoutMs) return shared;
  const { default: Dockerode } = await import("dockerode");
  const docker = new Dockerode(options.timeoutMs ? { timeout: options.timeoutMs } : undefined);
  if (!options.timeoutMs) shared = docker;
  return docker;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);

/** Turns a failed engine call into a DtError: unreachable engine is exit 3 with how to start it. */
export function engineError(cause: unknown, doing: string): DtError {
  if (cause instanceof DtError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code && UNREACHABLE.has(code)) {
    const hint = code === "EACCES" ? "add your user to the docker group, or run with access to the engine socket" : START_HINT;
    return envError(`the Docker engine at ${engineHost()} is not reachable (${code}) while ${doing}`, { hint, cause });
  }
  const status = (cause as { statusCode?: number } | undefined)?.statusCode;
  const message = engineMessage(cause);
  return new DtError(status && status < 500 ? 1 : 3, `the engine refused ${doing}: ${message}`, { cause });
}

export function engineMessage(cause: unknown): string {
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

export const isNotFound = (e: unknown) => (e as { statusCode?: number } | undefined)?.statusCode === 404;

/** The engine's version and platform, or an environment error (exit 3) saying how to start it. */
export async function engineInfo(options: { timeoutMs?: number } = {}): Promise<EngineInfo> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const host = engineHost();
  try {
    const version = await engineGet<Docker.DockerVersion>("/version", timeoutMs, (docker) => docker.version());
    return { version: version.Version, apiVersion: version.ApiVersion, os: version.Os, arch: version.Arch, host };
  } catch (cause) {
    throw engineError(cause, "asking for its version");
  }
}

/**
 * One read-only GET of the Engine API, answered within `timeoutMs` or failed with ETIMEDOUT.
 * Over a plain unix socket or tcp:// it is a bare fetch: dockerode costs ~100 ms to load in a
 * compiled binary, more than the request, and `dt ls`/`dt doctor` need nothing else from it.
 * Anything else (TLS, ssh://) goes through `viaDockerode`. Errors are raw; wrap with engineError.
 */
export async function engineGet<T>(path: string, timeoutMs: number, viaDockerode: (docker: Docker) => Promise<T>): Promise<T> {
  const address = plainEngineAddress();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })), timeoutMs);
  });
  try {
    if (!address) return await Promise.race([connect({ timeoutMs }).then(viaDockerode), timeout]);
    const response = await Promise.race([
      "unix" in address ? fetch(`http://localhost${path}`, { unix: address.unix }) : fetch(`http://${hostPort(address)}${path}`),
      timeout,
    ]);
    const body = await Promise.race([response.text(), timeout]);
    if (!response.ok) throw Object.assign(new Error(engineBodyMessage(body)), { statusCode: response.status });
    return JSON.parse(body) as T;
  } finally {
    clearTimeout(timer);
  }
}

export type PlainEngineAddress = { unix: string } | { hostname: string; port: number };

/**
 * Where dt can talk HTTP to the engine itself: its unix socket, or a tcp:// address without
 * TLS. Null for TLS and ssh:// engines, which only dockerode handles.
 */
export function plainEngineAddress(env = process.env): PlainEngineAddress | null {
  const host = engineHost(env);
  if (host.startsWith("unix://")) return { unix: host.slice("unix://".length) };
  if (!host.startsWith("tcp://") || env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return null;
  const url = new URL(`http://${host.slice("tcp://".length)}`);
  return { hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 2375) };
}

/** `host:port` as HTTP writes it (an IPv6 address in brackets). */
export const hostPort = (a: { hostname: string; port: number }) => `${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;

/** The `message` of an engine's JSON error body, or the body as it is. */
export const engineBodyMessage = (body: string) => {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
};

export type ImageInfo = Docker.ImageInspectInfo;

/** `image inspect`, or undefined when the image does not exist. */
export async function inspectImage(docker: Docker, name: string): Promise<ImageInfo | undefined> {
  try {
    return await docker.getImage(name).inspect();
  } catch (cause) {
    if (isNotFound(cause)) return undefined;
    throw engineError(cause, `inspecting image ${name}`);
  }
}

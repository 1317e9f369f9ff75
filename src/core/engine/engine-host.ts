import { usageError } from "../base/errors.ts";

/** DOCKER_HOST as the Docker CLI reads it, else the default socket. */
export const engineHost = (env = process.env) => env.DOCKER_HOST || "unix:///var/run/docker.sock";

/** The DOCKER_HOST forms dt (and the Docker CLI on Linux and macOS) understands. */
export const ENGINE_HOST_FORMS = "unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://USER@HOST";

/**
 * DOCKER_HOST checked before anything talks to it: a value that does not parse is a usage
 * error naming the accepted forms (the engine client would otherwise look up "garbage" as a
 * host name and report that it cannot reach it).
 */
export function checkEngineHost(env = process.env): string {
  const host = engineHost(env);
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
  let ok = false;
  if (scheme === "unix") ok = host.length > "unix://".length && host.slice("unix://".length).startsWith("/");
  else if (scheme === "tcp" || scheme === "ssh") {
    try {
      const url = new URL(`${scheme === "tcp" ? "http" : "ssh"}://${host.slice(scheme.length + 3)}`);
      ok = url.hostname !== "" && (url.pathname === "" || url.pathname === "/") && !url.search && !url.hash;
    } catch {
      ok = false;
    }
  }
  if (!ok) throw usageError(`DOCKER_HOST=${host} is not an engine address`, { hint: `set DOCKER_HOST to ${ENGINE_HOST_FORMS}, or unset it for the local engine` });
  return host;
}

export type PlainEngineAddress = { unix: string } | { hostname: string; port: number };

/**
 * Whether tcp:// engines are spoken to over TLS, as the Docker CLI decides it: DOCKER_TLS_VERIFY
 * or DOCKER_TLS set to anything. DOCKER_CERT_PATH alone only says where the certificates are.
 */
export const wantsTls = (env = process.env) => Boolean(env.DOCKER_TLS_VERIFY || env.DOCKER_TLS);

/**
 * Where dt can talk HTTP to the engine itself: its unix socket, or a tcp:// address without
 * TLS. Null for TLS and ssh:// engines, which only dockerode handles.
 */
export function plainEngineAddress(env = process.env, host = engineHost(env)): PlainEngineAddress | null {
  if (host.startsWith("unix://")) return { unix: host.slice("unix://".length) };
  if (!host.startsWith("tcp://") || wantsTls(env)) return null;
  const url = new URL(`http://${host.slice("tcp://".length)}`);
  return { hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 2375) };
}

/** `host:port` as HTTP writes it (an IPv6 address in brackets). */
export const hostPort = (a: { hostname: string; port: number }) => `${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;

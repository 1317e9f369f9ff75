/** DOCKER_HOST as the Docker CLI reads it, else the default socket. */
export const engineHost = (env = process.env) => env.DOCKER_HOST || "unix:///var/run/docker.sock";

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
export function plainEngineAddress(env = process.env): PlainEngineAddress | null {
  const host = engineHost(env);
  if (host.startsWith("unix://")) return { unix: host.slice("unix://".length) };
  if (!host.startsWith("tcp://") || wantsTls(env)) return null;
  const url = new URL(`http://${host.slice("tcp://".length)}`);
  return { hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 2375) };
}

/** `host:port` as HTTP writes it (an IPv6 address in brackets). */
export const hostPort = (a: { hostname: string; port: number }) => `${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;

// dockerode's options for one engine address. Loaded with docker-engine.ts, not at start-up.
import { existsSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import type Docker from "dockerode";
import { usageError } from "../base/errors.ts";
import { homeDir } from "../base/home.ts";
import { wantsTls } from "./engine-host.ts";
import { hostKeyVerdict, parseKnownHosts, refuseHostKey } from "./known-hosts.ts";

/** What dockerode takes beyond its typings (docker-modem passes `agent` to every request). */
export type DockerodeOptions = Docker.DockerOptions & { agent?: Agent };

/**
 * dockerode's options for the engine at `host`. Every connection field is set, undefined where
 * unused: docker-modem fills missing ones from DOCKER_HOST, which would send a builder's calls
 * to the engine of the environment instead.
 */
export function dockerodeOptions(host: string, env = process.env): DockerodeOptions {
  const none: DockerodeOptions = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, username: undefined, ca: undefined, cert: undefined, key: undefined };
  if (host.startsWith("unix://")) return { ...none, socketPath: host.slice("unix://".length) || "/var/run/docker.sock" };
  const url = URL.parse(host);
  const hostname = url?.hostname.replace(/^\[(.*)\]$/, "$1");
  if (url?.protocol === "ssh:" && hostname) {
    const port = Number(url.port || 22);
    return {
      ...none,
      protocol: "ssh",
      host: hostname,
      port,
      username: decodeURIComponent(url.username) || undefined,
      sshOptions: { ...sshAuth(env), hostVerifier: hostVerifier(hostname, port, env) },
    };
  }
  if (url?.protocol === "tcp:" && hostname) {
    if (!wantsTls(env)) return { ...none, protocol: "http", host: hostname, port: url.port || 2375 };
    return { ...none, protocol: "https", host: hostname, port: url.port || 2376, ...tlsFiles(env) };
  }
  throw usageError(`cannot use the engine address ${host}`, { hint: "use unix:///PATH, tcp://HOST:PORT or ssh://USER@HOST (DOCKER_HOST syntax)" });
}

/**
 * The certificates of a TLS engine, from DOCKER_CERT_PATH (else the Docker config dir), as the
 * CLI reads them: ca.pem verifies the engine under DOCKER_TLS_VERIFY; cert.pem and key.pem,
 * when present, identify the client. Without DOCKER_TLS_VERIFY the engine is not verified.
 */
function tlsFiles(env: NodeJS.ProcessEnv): Pick<DockerodeOptions, "ca" | "cert" | "key" | "agent"> {
  const dir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || join(homeDir(env) ?? "/nonexistent", ".docker");
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  const [ca, cert, key] = [read("ca.pem"), read("cert.pem"), read("key.pem")];
  if (env.DOCKER_TLS_VERIFY) {
    if (!ca) throw usageError(`DOCKER_TLS_VERIFY is set but ${join(dir, "ca.pem")} does not exist`, { hint: "point DOCKER_CERT_PATH at the directory with ca.pem, cert.pem and key.pem" });
    return { ca, cert, key };
  }
  // docker-modem has no switch for an unverified engine; an agent carries it.
  return { agent: new Agent({ rejectUnauthorized: false, cert, key }) };
}

/** ssh:// as ssh would log in without a config: the agent, else the first default key. */
function sshAuth(env: NodeJS.ProcessEnv): Docker.DockerOptions["sshOptions"] {
  if (env.SSH_AUTH_SOCK) return { agent: env.SSH_AUTH_SOCK };
  const home = homeDir(env);
  const key = home === undefined ? undefined : ["id_ed25519", "id_ecdsa", "id_rsa"].map((name) => join(home, ".ssh", name)).find((path) => existsSync(path));
  return key ? { privateKey: readFileSync(key) } : {};
}

/**
 * The server's key must be in the user's or the system's known_hosts for this host and port,
 * as `ssh -o BatchMode=yes` demands (see known-hosts.ts); a refusal is remembered for the error.
 */
function hostVerifier(host: string, port: number, env: NodeJS.ProcessEnv): (key: Buffer) => boolean {
  const home = homeDir(env);
  const files = [...(home === undefined ? [] : [join(home, ".ssh", "known_hosts")]), "/etc/ssh/ssh_known_hosts"];
  return (key) => {
    const entries = files.flatMap((f) => (existsSync(f) ? parseKnownHosts(readFileSync(f, "utf8")) : []));
    const verdict = hostKeyVerdict(entries, host, port, key);
    if (verdict === "known") return true;
    refuseHostKey({ host, port, verdict });
    return false;
  };
}

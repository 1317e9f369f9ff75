// The test bed's engine at another address: a TCP port on 127.0.0.1 that forwards to its socket,
// plain or TLS (with a CA, a server and a client certificate made by openssl, laid out as
// DOCKER_CERT_PATH wants them), and a port that accepts and never answers (a silent engine).
//
//   const { dir, server } = certificates();              // dir: ca.pem, cert.pem, key.pem
//   const port = await proxy.open(server);                // tcp://127.0.0.1:PORT over TLS
//   afterAll(() => proxy.closeAll());
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { testdir } from "./fixtures.ts";
import { testbed } from "./testbed.ts";

/** The test bed's engine address, which is dt's local engine in the tests. */
export const bedEngineHost = () => testbed().dockerHost ?? "unix:///var/run/docker.sock";

export interface ServerCertificates {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

/** A fresh CA, a server certificate for 127.0.0.1 and a client certificate; `dir` holds ca.pem, cert.pem, key.pem. */
export function certificates(): { dir: string; server: ServerCertificates } {
  const dir = testdir().path;
  const script = `openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=dt-test-ca
    openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1
    printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 1 -extfile server.ext
    openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=dt-test-client
    printf 'extendedKeyUsage=clientAuth\\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 -extfile client.ext`;
  const r = spawnSync("sh", ["-ec", script], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`making test certificates failed: ${r.stderr}`);
  const read = (name: string) => readFileSync(join(dir, name));
  return { dir, server: { key: read("server-key.pem"), cert: read("server-cert.pem"), ca: read("ca.pem") } };
}

const servers = new Set<Server>();
const held = new Set<Socket>();

export const proxy = {
  /** A port on 127.0.0.1 forwarding to the bed's engine; over TLS (client certificate required) when given certificates. */
  async open(tls?: ServerCertificates): Promise<number> {
    const socket = bedEngineHost().replace(/^unix:\/\//, "");
    const forward = (s: Socket) => {
      const engine = connect(socket);
      held.add(s).add(engine);
      s.pipe(engine).pipe(s);
      s.on("error", () => engine.destroy());
      engine.on("error", () => s.destroy());
    };
    const server = tls ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, forward) : createServer(forward);
    return listen(server);
  },
  /** A port on 127.0.0.1 that accepts connections and never answers. */
  async silent(): Promise<number> {
    return listen(createServer((s) => held.add(s)));
  },
  /** Closes every server and connection opened here. */
  closeAll(): void {
    for (const s of held) s.destroy();
    for (const s of servers) s.close();
    held.clear();
    servers.clear();
  },
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.add(server);
  return (server.address() as { port: number }).port;
}

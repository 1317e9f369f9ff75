// The ssh host key check of ssh:// engines, as OpenSSH does it with StrictHostKeyChecking=yes
// (the batch-mode answer, since dt never prompts): the key the server shows must be in
// ~/.ssh/known_hosts (or /etc/ssh/ssh_known_hosts) for that host, else dt does not connect.
// Without it, anyone between dt and the builder could take the connection and with it the
// engine: the build contexts, and the registry credentials a push sends.

export type HostKeyVerdict = "known" | "unknown" | "changed" | "revoked";

interface KnownHost {
  marker: "" | "@revoked" | "@cert-authority";
  patterns: string;
  key: string;
}

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0] === "@revoked" || fields[0] === "@cert-authority" ? (fields.shift() as KnownHost["marker"]) : "";
    const [patterns, , key] = fields;
    if (patterns && key) out.push({ marker, patterns, key });
  }
  return out;
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` elsewhere. */
export const hostName = (host: string, port: number) => (port === 22 ? host : `[${host}]:${port}`);

/** ssh's host patterns: `*` and `?` are the only wildcards (brackets are literal, as in `[host]:port`). */
function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".")}$`, "i");
  return re.test(name);
}

function hashedMatches(entry: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const [, kind, salt, hash] = entry.split("|");
  if (kind !== "1" || !salt || !hash) return false;
  return new Bun.CryptoHasher("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}

/** Whether the comma-separated host patterns of a line name this host (a `!` pattern vetoes). */
function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith("|")) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(",")) {
    if (p.startsWith("!")) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) matched = true;
  }
  return matched;
}

/** What known_hosts says of `keyBlob` (the server's public key, SSH wire format) for host:port. */
export function hostKeyVerdict(entries: readonly KnownHost[], host: string, port: number, keyBlob: Uint8Array): HostKeyVerdict {
  const name = hostName(host, port);
  const key = Buffer.from(keyBlob).toString("base64");
  let listed = false;
  for (const e of entries) {
    if (e.marker === "@revoked" && e.key === key) return "revoked";
  }
  for (const e of entries) {
    if (e.marker !== "" || !patternsMatch(e.patterns, name)) continue;
    if (e.key === key) return "known";
    listed = true;
  }
  return listed ? "changed" : "unknown";
}

export interface RefusedHostKey {
  host: string;
  port: number;
  verdict: Exclude<HostKeyVerdict, "known">;
}

/** The host key the verifier refused last, for the error dt prints (ssh2's own says only "Host denied"). */
export let lastRefusedHostKey: RefusedHostKey | undefined;

export function refuseHostKey(refused: RefusedHostKey): void {
  lastRefusedHostKey = refused;
}

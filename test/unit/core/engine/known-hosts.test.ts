import { describe, expect, test } from "bun:test";
import { hostKeyVerdict, parseKnownHosts } from "../../../../src/core/engine/known-hosts.ts";

// Two made-up key blobs (what ssh2 hands the verifier) and their known_hosts base64 form.
const keyA = Buffer.from("ssh-ed25519 key A blob");
const keyB = Buffer.from("ssh-ed25519 key B blob");
const b64 = (k: Buffer) => k.toString("base64");
const hashed = (name: string, salt = Buffer.from("0123456789abcdefghij")) =>
  `|1|${salt.toString("base64")}|${new Bun.CryptoHasher("sha1", salt).update(name).digest("base64")}`;

describe("hostKeyVerdict: known_hosts as ssh reads it", () => {
  test("a plain host on port 22, and [host]:port on any other", () => {
    const entries = parseKnownHosts(`arm.example ssh-ed25519 ${b64(keyA)}\n[arm.example]:2222 ssh-ed25519 ${b64(keyB)} ci key\n`);
    expect(hostKeyVerdict(entries, "arm.example", 22, keyA)).toBe("known");
    expect(hostKeyVerdict(entries, "arm.example", 2222, keyB)).toBe("known");
    // The port-22 line says nothing of port 2222's key, and the other way round.
    expect(hostKeyVerdict(entries, "arm.example", 2222, keyA)).toBe("changed");
    expect(hostKeyVerdict(entries, "other.example", 22, keyA)).toBe("unknown");
  });

  test("hashed names (HashKnownHosts), lists, wildcards and a negated pattern", () => {
    const entries = parseKnownHosts(
      [
        `${hashed("[127.0.0.1]:2200")} ssh-ed25519 ${b64(keyA)}`,
        `build1.example,build2.example ssh-ed25519 ${b64(keyA)}`,
        `*.arm.example,!bad.arm.example ssh-ed25519 ${b64(keyB)}`,
      ].join("\n"),
    );
    expect(hostKeyVerdict(entries, "127.0.0.1", 2200, keyA)).toBe("known");
    expect(hostKeyVerdict(entries, "127.0.0.1", 2201, keyA)).toBe("unknown");
    expect(hostKeyVerdict(entries, "build2.example", 22, keyA)).toBe("known");
    expect(hostKeyVerdict(entries, "x.arm.example", 22, keyB)).toBe("known");
    expect(hostKeyVerdict(entries, "bad.arm.example", 22, keyB)).toBe("unknown");
  });

  test("a changed key is refused; a revoked key is refused whatever line lists it; CA lines never vouch for a host", () => {
    const entries = parseKnownHosts(
      [
        "# comment",
        `@cert-authority *.example ssh-ed25519 ${b64(keyB)}`,
        `arm.example ssh-ed25519 ${b64(keyA)}`,
        `@revoked * ssh-ed25519 ${b64(keyA)}`,
      ].join("\n"),
    );
    expect(hostKeyVerdict(entries, "arm.example", 22, keyA)).toBe("revoked");
    expect(hostKeyVerdict(entries, "arm.example", 22, keyB)).toBe("changed");
    expect(hostKeyVerdict(entries, "new.example", 22, keyB)).toBe("unknown");
  });
});

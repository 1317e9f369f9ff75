// Random names and tokens, and SHA-256, without node:crypto: importing it costs ~2.5 ms of
// start-up in the compiled binary (docs/benchmarks.md), more than all of `dt version`'s own
// work, while the Web Crypto global and Bun's hasher are ready at no cost.

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buffer) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The SHA-256 of `data` as lowercase hex. */
export const sha256Hex = (data: string | Uint8Array): string => new Bun.CryptoHasher("sha256").update(data).digest("hex");

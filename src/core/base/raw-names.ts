// File names that are not valid UTF-8 (a Latin-1 name from an old archive: `caf\xe9.txt`).
// Node's fs gives them to dt decoded with U+FFFD in place of each bad byte, a name that opens
// nothing: they are found by reading the directory again as bytes, and shown with those bytes
// written out.
import { isUtf8 } from "node:buffer";
import { readdirSync } from "node:fs";
import { printable } from "./printable.ts";

/** What fs makes of a name that is not UTF-8 always contains this. */
export const REPLACEMENT = "\uFFFD";

/** The raw names in `dir` that are not UTF-8, by the lossy name fs gives for them. */
export function nonUtf8Names(dir: string | Buffer): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  try {
    for (const raw of readdirSync(dir, { encoding: "buffer" })) if (!isUtf8(raw)) found.set(raw.toString("utf8"), raw);
  } catch {
    // Unreadable: the caller's own read reports it.
  }
  return found;
}

/**
 * The bytes of `lossyRel` (a path below `root` as fs or git decoded it), each component that
 * holds U+FFFD matched against its directory's raw names; undefined when one is not found.
 */
export function rawPath(root: string, lossyRel: string): Buffer | undefined {
  let at = Buffer.from(root);
  for (const part of lossyRel.split("/")) {
    const raw = part.includes(REPLACEMENT) ? nonUtf8Names(at).get(part) : Buffer.from(part);
    if (!raw) return undefined;
    at = Buffer.concat([at, Buffer.from("/"), raw]);
  }
  return at;
}

/** `bytes` as text for a message: valid UTF-8 as it is, every other byte as `\xNN`. */
export function bytesAsText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const n = utf8Length(bytes, i);
    if (n === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, "0")}`;
      i++;
    } else {
      out += Buffer.from(bytes.subarray(i, i + n)).toString("utf8");
      i += n;
    }
  }
  return printable(out);
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function utf8Length(b: Uint8Array, i: number): number {
  const lead = b[i]!;
  const n = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (n <= 1) return n;
  if (i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return isUtf8(b.subarray(i, i + n)) ? n : 0;
}

/** A lossy relative path below `root` for a message, with its real bytes where they can be found. */
export function shownPath(root: string, lossyRel: string): string {
  const raw = rawPath(root, lossyRel);
  return raw ? bytesAsText(raw.subarray(Buffer.byteLength(root) + 1)) : printable(lossyRel);
}


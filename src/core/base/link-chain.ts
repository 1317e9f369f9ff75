import { lstatSync, readlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface LinkChain {
  /** The targets as written in each link, in order (empty for a path that is not a link). */
  hops: string[];
  /** Where the chain ends: an absolute path. */
  end: string;
  /** The end exists (and is not a link): the chain resolves. */
  resolves: boolean;
  /** The chain goes round (or is longer than the kernel would follow). */
  loops: boolean;
}

/** Follows `path` link by link, to say where a link that does not resolve breaks. */
export function linkChain(path: string): LinkChain {
  const hops: string[] = [];
  const seen = new Set<string>();
  let current = resolve(path);
  for (let i = 0; i < 40; i++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return { hops, end: current, resolves: false, loops: false };
    }
    if (!isLink) return { hops, end: current, resolves: true, loops: false };
    if (seen.has(current)) return { hops, end: current, resolves: false, loops: true };
    seen.add(current);
    const target = readlinkSync(current);
    hops.push(target);
    current = resolve(dirname(current), target);
  }
  return { hops, end: current, resolves: false, loops: true };
}

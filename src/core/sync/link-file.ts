import { randomHex } from "../base/random.ts";
import { lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { usageError } from "../base/errors.ts";
import type { LinkHere } from "./decide.ts";
import { readContent } from "./file-content.ts";

/** What is at `abs` without following it: a link is judged by its text, not by what it leads to. */
export function readHere(abs: string, label: string): LinkHere {
  let stat;
  try {
    stat = lstatSync(abs);
  } catch {
    return null;
  }
  if (stat.isSymbolicLink()) return { kind: "link", text: readlinkSync(abs) };
  if (!stat.isFile()) throw usageError(`${label} is a ${stat.isDirectory() ? "directory" : "special file"} here: a link cannot replace it`, { hint: "move it away, or take it out of sync.files" });
  return { kind: "file", state: readContent(abs, label)!.state };
}

/**
 * Makes `abs` a symlink with `text` so that readers see the old entry or the new one, never
 * none: the link is made under a temp name in the same directory, then renamed over.
 */
export function writeLinkAtomic(abs: string, text: string): void {
  mkdirSync(dirname(abs), { recursive: true });
  const temp = join(dirname(abs), `.${basename(abs)}.dt-${process.pid}-${randomHex(4)}.tmp`);
  symlinkSync(text, temp);
  try {
    renameSync(temp, abs);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

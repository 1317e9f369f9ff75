import { sha256Hex } from "../base/random.ts";
import { readFileSync, statSync } from "node:fs";
import { usageError } from "../base/errors.ts";
import { unifiedDiff } from "../base/text-diff.ts";
import type { FileState } from "./decide.ts";

export interface Content {
  bytes: Buffer;
  state: FileState;
}

export function readContent(abs: string, label: string): Content | null {
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    return null;
  }
  if (!stat.isFile()) throw usageError(`${label} is not a regular file`, { hint: "sync.files lists files, not directories" });
  const bytes = readFileSync(abs);
  return { bytes, state: { sha256: sha256Hex(bytes), executable: (stat.mode & 0o100) !== 0 } };
}

const isBinary = (b: Buffer) => b.subarray(0, 8000).includes(0);

/** A unified diff of the file here (old) against upstream's (new), git-style for modes and binaries. */
export function fileDiff(path: string, local: Content | null, source: Content | null, upstream: string): string {
  const from = local ? `a/${path}\t(here)` : "/dev/null";
  const to = source ? `b/${path}\t(${upstream})` : "/dev/null";
  const modes =
    local && source && local.state.executable !== source.state.executable
      ? `old mode ${local.state.executable ? "100755" : "100644"}\nnew mode ${source.state.executable ? "100755" : "100644"}\n`
      : "";
  if (local && source && local.state.sha256 === source.state.sha256) return `--- ${from}\n+++ ${to}\n${modes}`;
  if ((local && isBinary(local.bytes)) || (source && isBinary(source.bytes))) {
    return `${modes}Binary files ${local ? `a/${path}` : "/dev/null"} and ${source ? `b/${path}` : "/dev/null"} differ\n`;
  }
  return modes + unifiedDiff(local?.bytes.toString("utf8") ?? "", source?.bytes.toString("utf8") ?? "", { from, to });
}


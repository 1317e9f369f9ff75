import type { CommandTable, DtCommand, DtGroup } from "./_define.ts";
import { commands } from "./index.ts";

export interface Located {
  /** Names walked from the root, e.g. ["docker", "build"]. */
  path: string[];
  /** The command or group reached; undefined when no name was walked (the root). */
  node: DtCommand | DtGroup | undefined;
  /** Where a further name would be looked up: the reached group's subcommands, or the root's. */
  table: CommandTable;
  /** The words after the last name walked. */
  rest: string[];
  /** The word that stopped the walk by naming nothing in `table`, if one did. */
  unknown?: string;
}

/**
 * Walks command names from the front of `words` down the tree, loading only the modules on the
 * way. It stops at the first flag, at a command (commands have no subcommands), or at a word
 * that names nothing. Dispatch, help and completion all find their command with this one walk,
 * so what completion offers is what a run would accept.
 */
export async function locate(words: readonly string[], root: CommandTable = commands): Promise<Located> {
  let table = root;
  let node: DtCommand | DtGroup | undefined;
  const path: string[] = [];
  let i = 0;
  for (; i < words.length && (node === undefined || node.kind === "group"); i++) {
    const word = words[i]!;
    if (word.startsWith("-")) break;
    const entry = table[word];
    if (!entry) return { path, node, table, rest: words.slice(i), unknown: word };
    node = await entry.load();
    path.push(word);
    if (node.kind === "group") table = node.subCommands;
  }
  return { path, node, table, rest: words.slice(i) };
}

/** The command that runs for a node: a command itself, or what a group does alone. */
export const runnable = (node: DtCommand | DtGroup | undefined): DtCommand | undefined => (node?.kind === "group" ? node.self : node);

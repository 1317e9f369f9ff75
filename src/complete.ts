import { commands } from "./commands/index.ts";
import type { CommandTable, DtCommand, DtGroup } from "./commands/_define.ts";
import { globalFlags } from "./commands/_shared.ts";

/**
 * Candidates for the next word after `words` (what the shell scripts of `dt completion` ask
 * for). Resolves commands lazily, as a run would; never throws.
 */
export async function completions(words: readonly string[]): Promise<string[]> {
  let table: CommandTable = commands;
  let node: DtCommand | DtGroup | undefined;
  for (const word of words) {
    if (word.startsWith("-")) continue;
    const entry = table[word];
    if (!entry) break;
    node = await entry.load();
    if (node.kind !== "group") break;
    table = node.subCommands;
  }
  const globals = Object.keys(globalFlags).map((f) => `--${f}`);
  const last = words.at(-1);
  const command = node?.kind === "group" ? node.self : node;
  if (command && last?.startsWith("--")) {
    const def = command.args[last.slice(2)];
    if (def?.type === "enum") return [...def.options];
    if (def?.type === "string") return [];
  }
  const flags = command
    ? Object.entries(command.args)
        .filter(([, d]) => d.type !== "positional")
        .map(([name]) => `--${name}`)
    : [];
  const subs = node === undefined || node.kind === "group" ? Object.keys(table) : [];
  return [...subs, ...flags, ...globals];
}

import { globalFlags, splitGlobalFlags } from "./commands/_shared.ts";
import { locate, runnable } from "./commands/_tree.ts";

/**
 * Candidates for the next word after `words` (what the shell scripts of `dt completion` ask
 * for). Finds the command with the walk a run uses, after taking out the global flags as a run
 * does; never throws.
 */
export async function completions(words: readonly string[]): Promise<string[]> {
  const { node, table } = await locate(splitGlobalFlags(words).tokens);
  const globals = Object.keys(globalFlags).map((f) => `--${f}`);
  const last = words.at(-1);
  const command = runnable(node);
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

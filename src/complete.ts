import { relative } from "node:path";
import { operandStart, type ArgDef, type ArgsDef, type Completer, type PositionalArgDef } from "./cli-args.ts";
import { globalFlags, isGlobalFlag, splitGlobalFlags } from "./commands/_shared.ts";
import { locate, runnable } from "./commands/_tree.ts";

/**
 * Candidates for the next word after `words` (what the shell scripts of `dt completion` ask
 * for). Finds the command with the walk a run uses, after taking out the global flags as a run
 * does: a flag's values after the flag, a positional's values where it stands (task names for
 * `dt run`, `dev|prod` for a release), then subcommands and flags. Never throws.
 */
export async function completions(words: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const { node, table, path, rest } = await locate(splitGlobalFlags(words).tokens);
  const globals = Object.keys(globalFlags).map((f) => `--${f}`);
  const command = runnable(node);
  // The words of a command that runs another (dt docker cmd python3 ...) are that command's.
  if (command?.passThrough && (words.includes("--") || operandStart(words, path.length, command.args, isGlobalFlag) >= 0)) return [];
  const last = words.at(-1);
  if (command && last?.startsWith("-") && last !== "--") {
    const def = flagDef(command.args, last);
    if (def?.type === "enum") return [...def.options];
    if (def?.type === "string") return valuesOf(def.complete, cwd);
  }
  const positional = command ? positionalAt(command.args, rest) : undefined;
  const values = await valuesOf(positional?.complete, cwd);
  const flags = command
    ? Object.entries(command.args)
        .filter(([, d]) => d.type !== "positional")
        .map(([name]) => `--${name}`)
    : [];
  const subs = node === undefined || node.kind === "group" ? Object.keys(table) : [];
  return [...values, ...subs, ...flags, ...globals];
}

/** The definition `--name` or `-x` stands for. */
function flagDef(args: ArgsDef, flag: string): ArgDef | undefined {
  const name = flag.replace(/^--?/, "");
  return Object.entries(args).find(([n, d]) => d.type !== "positional" && (n === name || [d.alias ?? []].flat().includes(name)))?.[1];
}

/** The positional the next word would be: words before it that are no flags or flag values counted. */
function positionalAt(args: ArgsDef, words: readonly string[]): PositionalArgDef | undefined {
  let count = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--") return undefined;
    if (word.startsWith("-") && word !== "-") {
      const def = flagDef(args, word);
      if (!word.includes("=") && (def?.type === "string" || def?.type === "enum")) i++;
      continue;
    }
    count++;
  }
  return Object.values(args).filter((d): d is PositionalArgDef => d.type === "positional")[count];
}

/** The words a completer stands for; what cannot be read (no workspace, a broken dt.yaml) offers nothing. */
async function valuesOf(completer: Completer | undefined, cwd: string): Promise<string[]> {
  if (completer === undefined) return [];
  if (typeof completer !== "string") return [...completer];
  try {
    if (completer === "runnable-dirs") {
      const { scanWorkspace } = await import("./core/workspace/workspace.ts");
      const ws = await scanWorkspace(cwd, { status: "none" });
      return ws.runnableDirs.map((d) => relative(cwd, d.absPath) || ".");
    }
    const { workspaceEnv } = await import("./core/shell/setenv.ts");
    const { loadConfig } = await import("./core/config/config.ts");
    const { relPath } = await import("./core/workspace/workspace.ts");
    const env = await workspaceEnv(cwd);
    if (!env) return [];
    const resolved = loadConfig(env.root, relPath(env.root, env.targetDir || env.root));
    if (completer === "tasks") return (await import("./core/tasks/tasks.ts")).listTasks(resolved).map((t) => t.name);
    return [...Object.keys(resolved.config.test.suites), "all"];
  } catch {
    return [];
  }
}

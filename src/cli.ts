import type { ArgsDef as CittyArgsDef, ArgDef as CittyArgDef } from "citty";
import { operandStart, type ArgDef } from "./cli-args.ts";
import { commands } from "./commands/index.ts";
import type { CommandTable, DtCommand } from "./commands/_define.ts";
import { globalFlags, isGlobalFlag, splitGlobalFlags } from "./commands/_shared.ts";
import { locate, runnable, type Located } from "./commands/_tree.ts";
import { DtError, DtErrors, ExitCode, isDtError, usageError } from "./core/base/errors.ts";
import { suggestion } from "./core/base/did-you-mean.ts";
import { writeAll } from "./ui/fd.ts";
import { c, documentsWritten, outDocument, settings } from "./ui/output.ts";
import { DT_VERSION } from "./core/base/dt-version.ts";
import { ANSWERED_COMMANDS, dropRecording, keepAnswer } from "./core/base/answers.ts";
import { printable } from "./core/base/printable.ts";

/**
 * Takes the global flags out of argv (before `--`, and for a pass-through command before the
 * command it runs) and applies them; returns the words left and the command they reach.
 */
async function takeGlobalFlags(argv: string[]): Promise<{ tokens: string[]; help: boolean; resolved: Located }> {
  let { tokens, flags } = splitGlobalFlags(argv);
  const apply = () => {
    if (flags.verbose) settings.verbose = true;
    if (flags.quiet) settings.quiet = true;
    if (flags.color !== undefined) settings.color = flags.color;
    if (flags.wide) settings.wide = true;
  };
  let resolved: Located;
  try {
    resolved = await resolveCommand(tokens);
  } catch (e) {
    apply(); // an unknown command is told in the colours asked for
    throw e;
  }
  const command = runnable(resolved.node);
  if (command?.passThrough) {
    // `dt docker cmd ls --help`: the --help is ls's. Read again as if a `--` stood before `ls`.
    const at = operandStart(argv, resolved.path.length, command.args, isGlobalFlag);
    if (at >= 0) {
      ({ tokens, flags } = splitGlobalFlags([...argv.slice(0, at), "--", ...argv.slice(at)]));
      resolved = await resolveCommand(tokens);
    }
  }
  apply();
  return { tokens, help: flags.help, resolved };
}

/** The command a run of `tokens` reaches; a name that is no command is a usage error. */
export async function resolveCommand(tokens: string[]): Promise<Located> {
  const found = await locate(tokens);
  // A group that runs alone takes the word as its own argument (and rejects it there if need be).
  if (found.unknown !== undefined && !runnable(found.node)) {
    const where = ["dt", ...found.path].join(" ");
    throw usageError(`unknown command '${found.unknown}' for '${where}'.${suggestion(found.unknown, Object.keys(found.table))}`, {
      hint: `see '${where} --help'`,
    });
  }
  return found;
}

const strip = (s: string) => (settings.color ? s : s.replace(/\x1b\[[0-9;]*m/g, ""));

function renderTable(title: string, table: CommandTable): string {
  const names = Object.keys(table);
  const width = Math.max(...names.map((n) => n.length));
  return [c.bold(title), ...names.map((n) => `  ${c.cyan(n.padEnd(width))}  ${table[n]!.description}`)].join("\n");
}

function renderGlobals(): string {
  const flags = Object.entries(globalFlags).map(([f, d]) => [`--${f}`, d] as const);
  const width = Math.max(...flags.map(([f]) => f.length));
  return [c.bold("GLOBAL OPTIONS"), ...flags.map(([f, d]) => `  ${c.cyan(f.padEnd(width))}  ${d}`)].join("\n");
}

/** dt's definition as citty's, for citty's renderUsage (which wants mutable lists and no `repeatable`). */
function cittyArg(def: ArgDef): CittyArgDef {
  const alias = (a: string | readonly string[] | undefined) => (a === undefined ? undefined : typeof a === "string" ? a : [...a]);
  switch (def.type) {
    case "boolean":
      return { type: "boolean", description: def.description, alias: alias(def.alias), default: def.default };
    case "string":
      return { type: "string", description: def.description, alias: alias(def.alias), valueHint: def.valueHint, default: def.default, required: def.required };
    case "enum":
      return { type: "enum", description: def.description, alias: alias(def.alias), valueHint: def.valueHint, default: def.default, required: def.required, options: [...def.options] };
    case "positional":
      // citty counts a positional as required unless told otherwise; dt's parser, only when told.
      return { type: "positional", description: def.description, default: def.default, required: def.required === true };
  }
}

export async function renderHelp({ node, path }: Pick<Located, "node" | "path">): Promise<string> {
  const name = ["dt", ...path].join(" ");
  if (node === undefined) {
    return [
      `dt ${DT_VERSION}: the development toolchain for composed Python repos with per-directory containers`,
      "",
      `${c.bold("USAGE")} dt [--verbose] [--quiet] [--no-color] COMMAND [OPTIONS]`,
      "",
      renderTable("COMMANDS", commands),
      "",
      renderGlobals(),
      "",
      `Run 'dt COMMAND --help' for a command's options. Exit codes: 0 ok, 1 the work failed, 2 usage or input error, 3 environment error, 130 interrupted.`,
    ].join("\n");
  }
  if (node.kind === "command") return commandHelp(node, path);
  if (node.self) return commandHelp(node.self, path, node.subCommands);
  return [`${node.meta.description}`, "", `${c.bold("USAGE")} ${name} COMMAND [OPTIONS]`, "", renderTable("COMMANDS", node.subCommands)].join("\n");
}

/** A command's help: citty's rendering of its options, then its usage notes, subcommands and the globals. */
async function commandHelp(command: DtCommand, path: string[], subCommands?: CommandTable): Promise<string> {
  const { renderUsage } = await import("citty");
  const args: CittyArgsDef = Object.fromEntries(Object.entries(command.args).map(([arg, def]) => [arg, cittyArg(def)]));
  const parent = { meta: { name: ["dt", ...path.slice(0, -1)].join(" ") } };
  const usage = strip(await renderUsage({ meta: { ...command.meta, name: path.at(-1) }, args }, parent));
  const parts = [usage.trimEnd()];
  if (command.meta.usage) parts.push("", command.meta.usage);
  if (subCommands) parts.push("", renderTable("COMMANDS", subCommands));
  parts.push("", renderGlobals());
  return parts.join("\n").replace(/[ \t]+$/gm, "");
}

/** Runs dt with argv (without the program name) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  if (argv[0] === "__complete") {
    const { completions } = await import("./complete.ts");
    writeAll(1, `${(await completions(argv.slice(1))).join("\n")}\n`);
    return ExitCode.ok;
  }
  if (argv.filter((t) => !isGlobalFlag(t))[0]?.match(/^(--version|-v)$/)) {
    writeAll(1, `${DT_VERSION}\n`);
    return ExitCode.ok;
  }
  const { help, resolved } = await takeGlobalFlags(argv);
  if (help || resolved.node === undefined) {
    // console.log, not writeAll: help must not pay for loading node:fs (see ui/fd.ts).
    console.log(await renderHelp(resolved));
    return help ? ExitCode.ok : ExitCode.usage;
  }
  const command = runnable(resolved.node);
  if (!command) {
    writeAll(2, `${await renderHelp(resolved)}\n`);
    return ExitCode.usage;
  }
  const json = wantsJson(command, resolved.rest);
  // main.ts recorded what a run of version, config, setenv or ls reads, to answer the next one alike.
  // --verbose talk (timings, causes) is about this run only: such a run is not kept.
  const answered = resolved.path.length === 1 && ANSWERED_COMMANDS.has(resolved.path[0]!) && !settings.verbose;
  if (!answered) dropRecording();
  try {
    const code = (await command.invoke(resolved.rest, { command: ["dt", ...resolved.path].join(" "), cwd: process.cwd() })) ?? ExitCode.ok;
    if (answered && code === ExitCode.ok) {
      const { pruneOldest, writeFileAtomic } = await import("./core/base/fs-util.ts");
      keepAnswer(argv, (path, text) => writeFileAtomic(path, text, 0o600, { cache: true }), pruneOldest);
    }
    return code;
  } catch (error) {
    // The --json promise holds when the command fails too: one document on stdout, unless the
    // command printed its own before failing. The error is still told on stderr.
    if (json && documentsWritten() === 0) printErrorDocument(error);
    throw error;
  }
}

/** Whether argv (a command's words) asks a command that takes --json for it. */
function wantsJson(command: DtCommand, tokens: readonly string[]): boolean {
  if (command.impliedJson) return true;
  if (!("json" in command.args)) return false;
  const end = tokens.indexOf("--");
  return (end < 0 ? tokens : tokens.slice(0, end)).some((t) => t === "--json" || t === "--json=true");
}

/** `{ok: false, exitCode, error: {message, where, hint}}`: an error as a --json document. */
function printErrorDocument(error: unknown): void {
  if ((error as NodeJS.ErrnoException | undefined)?.code === "EPIPE") return;
  const describe = (e: DtError) => ({ message: e.message, where: e.where ?? null, hint: e.hint ?? null });
  if (isDtError(error)) {
    const problems = error instanceof DtErrors ? { problems: error.problems.map(describe) } : {};
    outDocument({ ok: false, exitCode: error.exitCode, error: { ...describe(error), ...problems } });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  outDocument({ ok: false, exitCode: ExitCode.failed, error: { message: `internal error: ${message}`, where: null, hint: "run again with --verbose for details, and report it" } });
}

/** Prints an error once, the SPEC's way: what and where, then how to fix it. */
export function reportError(error: unknown): number {
  // A reader that stopped reading (`dt ls | head -1`) is not an error to report: end as Unix
  // tools do when SIGPIPE kills them.
  if ((error as NodeJS.ErrnoException | undefined)?.code === "EPIPE") return ExitCode.brokenPipe;
  // Messages carry text from servers, engines and files: never their control characters.
  if (isDtError(error)) {
    writeAll(2, `${c.red("error:")} ${printable(`${error.where ? `${error.where}: ` : ""}${error.message}`)}\n`);
    if (error.hint) writeAll(2, `  ${c.dim("fix:")} ${printable(error.hint)}\n`);
    if (settings.verbose && error.cause) writeAll(2, `${c.dim(printable(formatCause(error.cause)))}\n`);
    if (settings.verbose && error.stack) writeAll(2, `${c.dim(error.stack)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeAll(2, `${c.red("internal error:")} ${printable(message)}\n`);
  if (settings.verbose && error instanceof Error && error.stack) writeAll(2, `${c.dim(error.stack)}\n`);
  else writeAll(2, `  ${c.dim("fix:")} run again with --verbose for details, and report it\n`);
  return ExitCode.failed;
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? `caused by: ${cause.stack ?? cause.message}` : `caused by: ${String(cause)}`;
}

export { DtError };

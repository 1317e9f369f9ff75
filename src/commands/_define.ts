import { parseCommandArgs, type ArgsDef, type ArgsOf } from "../cli-args.ts";

export interface CommandContext<T extends ArgsDef> {
  args: ArgsOf<T>;
  /** Arguments after a bare `--` (e.g. the command of `dt docker cmd`). */
  rest: string[];
  /** Positionals beyond the declared ones, for variadic commands. */
  extra: string[];
  cwd: string;
}

export interface CommandMeta {
  name: string;
  description: string;
  /** Printed after the options in the command's help. */
  usage?: string;
}

/** What a command module writes: its args, and a run() that sees them typed by their definitions. */
export interface CommandSpec<T extends ArgsDef> {
  meta: CommandMeta;
  args: T;
  variadic?: boolean;
  /**
   * The first word that is no option of dt's starts a command to run, and it and every word
   * after it are that command's (`rest`), flags included, as in `docker run IMAGE CMD...`.
   */
  passThrough?: boolean;
  /** Its output is always one JSON document (`--json` only accepted): so is an error's. */
  impliedJson?: boolean;
  /** Returns the exit code (undefined = 0). Throws DtError for failures. */
  run: (ctx: CommandContext<T>) => Promise<number | void> | number | void;
}

/**
 * A command as the tree holds it. Its args' types stay behind in defineCommand, where the
 * parser's output meets run(): the tree (dispatch, help, completion) needs only the definitions.
 */
export interface DtCommand {
  kind: "command";
  meta: CommandMeta;
  args: ArgsDef;
  passThrough?: boolean;
  impliedJson?: boolean;
  /** Parses argv (what follows the command's name) and runs the command. */
  invoke: (tokens: readonly string[], where: { command: string; cwd: string }) => Promise<number | void>;
}

/** A command known by name and description without loading its module (for help). */
export interface CommandEntry {
  description: string;
  load: () => Promise<DtCommand | DtGroup>;
}

export type CommandTable = Record<string, CommandEntry>;

export interface DtGroup {
  kind: "group";
  meta: { name: string; description: string };
  subCommands: CommandTable;
  /** What `dt GROUP` alone does, if anything. */
  self?: DtCommand;
}

export function defineCommand<const T extends ArgsDef>(spec: CommandSpec<T>): DtCommand {
  return {
    kind: "command",
    meta: spec.meta,
    args: spec.args,
    passThrough: spec.passThrough,
    impliedJson: spec.impliedJson,
    async invoke(tokens, { command, cwd }) {
      const { args, rest, extra } = parseCommandArgs(spec.args, tokens, { command, variadic: spec.variadic });
      return spec.run({ args, rest, extra, cwd });
    },
  };
}

export const defineGroup = (def: Omit<DtGroup, "kind">): DtGroup => ({ kind: "group", ...def });

export const lazy =
  (importer: () => Promise<{ default: DtCommand | DtGroup }>) =>
  async () =>
    (await importer()).default;

import type { ArgsDef, ParsedArgs } from "citty";

export interface CommandContext<T extends ArgsDef> {
  args: ParsedArgs<T>;
  /** Arguments after a bare `--` (e.g. the command of `dt docker cmd`). */
  rest: string[];
  /** Positionals beyond the declared ones, for variadic commands. */
  extra: string[];
  cwd: string;
}

export interface DtCommand<T extends ArgsDef = ArgsDef> {
  kind: "command";
  meta: { name: string; description: string; usage?: string };
  args: T;
  /** Flags that may be given more than once; their value is a string[]. */
  repeatable?: readonly (keyof T & string)[];
  variadic?: boolean;
  /** Returns the exit code (undefined = 0). Throws DtError for failures. */
  run: (ctx: CommandContext<T>) => Promise<number | void> | number | void;
}

/** A command known by name and description without loading its module (for help). */
export interface CommandEntry {
  description: string;
  load: () => Promise<DtCommand<any> | DtGroup>;
}

export type CommandTable = Record<string, CommandEntry>;

export interface DtGroup {
  kind: "group";
  meta: { name: string; description: string };
  subCommands: CommandTable;
  /** What `dt GROUP` alone does, if anything. */
  self?: DtCommand<any>;
}

export const defineCommand = <const T extends ArgsDef>(def: Omit<DtCommand<T>, "kind">): DtCommand<T> => ({ kind: "command", ...def });
export const defineGroup = (def: Omit<DtGroup, "kind">): DtGroup => ({ kind: "group", ...def });

export const lazy =
  (importer: () => Promise<{ default: DtCommand<any> | DtGroup }>) =>
  async () =>
    (await importer()).default;

import { usageError } from "./core/base/errors.ts";
import { suggestion } from "./core/base/did-you-mean.ts";

// dt's own argument definitions rather than citty's: citty's types have no repeatable flag and
// give `never` for an enum whose options are a readonly tuple, so every command cast its args.
// These describe exactly what parseCommandArgs accepts; ArgsOf derives what it returns.

type Alias = string | readonly string[];

/**
 * What shell completion offers for a value: fixed words, or words read from the workspace
 * around the current dir (its runnable dirs, the tasks of dt.yaml, the target dir's suites).
 */
export type Completer = readonly string[] | "runnable-dirs" | "tasks" | "suites";

/** `--name` / `--no-name`; `--name=true|false` also works. */
export interface BooleanArgDef {
  type: "boolean";
  description?: string;
  alias?: Alias;
  default?: boolean;
}

/** `--name VALUE` or `--name=VALUE`. */
export interface StringArgDef {
  type: "string";
  description?: string;
  alias?: Alias;
  /** Shown in help as `--name=<HINT>` and in the "needs a value" error. */
  valueHint?: string;
  default?: string;
  required?: boolean;
  /** Every value is kept, in order (`-m A -m B`), and the arg is a string[] (empty when not given). */
  repeatable?: boolean;
  complete?: Completer;
}

/** A string that must be one of `options`; typed as their union. */
export interface EnumArgDef extends Omit<StringArgDef, "type" | "default" | "complete"> {
  type: "enum";
  options: readonly string[];
  default?: string;
}

/** A word that is not a flag, taken in declaration order. */
export interface PositionalArgDef {
  type: "positional";
  description?: string;
  default?: string;
  required?: boolean;
  complete?: Completer;
}

export type ArgDef = BooleanArgDef | StringArgDef | EnumArgDef | PositionalArgDef;
export type ArgsDef = Record<string, ArgDef>;

type Scalar<D> = D extends { type: "boolean" } ? boolean : D extends { options: readonly (infer O)[] } ? O : string;
/** Args the parser always sets: a list (maybe empty), a default, or one it insists on. */
type AlwaysSet<T> = { [K in keyof T]: T[K] extends { repeatable: true } | { required: true } | { default: string | boolean } ? K : never }[keyof T];
type Flat<O> = { [K in keyof O]: O[K] };

/**
 * What parseCommandArgs returns for definitions T: `string[]` for a repeatable flag, the union
 * of `options` for an enum, and an optional key for anything not given and without a default.
 */
export type ArgsOf<T extends ArgsDef> = Flat<
  { -readonly [K in AlwaysSet<T>]: T[K] extends { repeatable: true } ? Scalar<T[K]>[] : Scalar<T[K]> } & {
    -readonly [K in Exclude<keyof T, AlwaysSet<T>>]?: Scalar<T[K]>;
  }
>;

export interface ParsedCommandArgs<T extends ArgsDef> {
  args: ArgsOf<T>;
  /** Positionals not claimed by a declared positional argument. */
  extra: string[];
  /** Everything after a bare `--`, untouched. */
  rest: string[];
}

/**
 * Where the operands of a pass-through command (`dt docker cmd python3 --version`) start in
 * `argv`: past `names` command names, the global flags and the command's own options (with
 * their values), the first other word. Everything from there on is the command's to run, as in
 * `docker run IMAGE CMD...`. -1 when there is no such word, or a `--` comes first (which then
 * marks the start itself).
 */
export function operandStart(argv: readonly string[], names: number, defs: ArgsDef, isGlobal: (token: string) => boolean): number {
  let left = names;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") return -1;
    if (isGlobal(token)) continue;
    const isFlag = token.startsWith("-") && token !== "-" && !/^-\d/.test(token);
    if (!isFlag) {
      if (left-- > 0) continue;
      return i;
    }
    const body = token.replace(/^--?/, "");
    if (body.includes("=") || (!token.startsWith("--") && body.length > 1)) continue;
    const def = Object.entries(defs).find(([name, d]) => name === body || name === camel(body) || aliasesOf("alias" in d ? d.alias : undefined).includes(body))?.[1];
    // A flag that takes a value takes the next word with it; an unknown one is the parser's to refuse.
    if (def && (def.type === "string" || def.type === "enum")) i++;
  }
  return -1;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
const aliasesOf = (alias: Alias | undefined): readonly string[] => (alias === undefined ? [] : typeof alias === "string" ? [alias] : alias);
const isRepeatable = (def: ArgDef) => def.type !== "boolean" && def.type !== "positional" && def.repeatable === true;

/**
 * Parses a command's argv against its argument definitions, stricter than citty: unknown flags
 * are errors with a did-you-mean, enum values are checked, repeatable flags collect every value.
 */
export function parseCommandArgs<T extends ArgsDef>(
  defs: T,
  tokens: readonly string[],
  options: { command: string; variadic?: boolean },
): ParsedCommandArgs<T> {
  type FlagDef = Exclude<ArgDef, PositionalArgDef>;
  const byFlag = new Map<string, [string, FlagDef]>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    byFlag.set(name, [name, def]);
    for (const alias of aliasesOf(def.alias)) byFlag.set(alias, [name, def]);
  }
  const args: Record<string, unknown> = {};
  const lists = new Map<string, string[]>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.default !== undefined) args[name] = def.default;
    if (isRepeatable(def)) {
      const list: string[] = [];
      lists.set(name, list);
      args[name] = list;
    }
  }
  const positionals: string[] = [];
  let rest: string[] = [];
  const known = [...byFlag.keys()].filter((k) => k.length > 1);

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      rest = tokens.slice(i + 1);
      break;
    }
    if (!token.startsWith("-") || token === "-" || /^-\d/.test(token)) {
      positionals.push(token);
      continue;
    }
    const long = token.startsWith("--");
    const body = long ? token.slice(2) : token.slice(1);
    const eq = body.indexOf("=");
    let flag = eq >= 0 ? body.slice(0, eq) : body;
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (!long && flag.length > 1 && inline === undefined) {
      // -j4 style: a one-letter flag with its value attached.
      inline = flag.slice(1);
      flag = flag[0]!;
    }
    let negated = false;
    let entry = byFlag.get(flag) ?? byFlag.get(camel(flag));
    if (!entry && flag.startsWith("no-")) {
      entry = byFlag.get(flag.slice(3));
      negated = entry?.[1].type === "boolean";
      if (!negated) entry = undefined;
    }
    if (!entry) {
      throw usageError(`unknown option '${long ? "--" : "-"}${flag}' for '${options.command}'.${suggestion(flag, known, "--")}`, {
        hint: `see '${options.command} --help'`,
      });
    }
    const [name, def] = entry;
    const display = `--${name}`;
    if (def.type === "boolean") {
      if (inline !== undefined && !["true", "false"].includes(inline)) {
        throw usageError(`${display} takes no value (got '${inline}')`, { hint: `write ${display} or --no-${name}` });
      }
      args[name] = negated ? false : inline === undefined ? true : inline === "true";
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || next === "--" || (next.startsWith("-") && next.length > 1 && !/^-\d/.test(next))) {
        throw usageError(`${display} needs a value${def.valueHint ? ` (${def.valueHint})` : ""}`, { hint: `see '${options.command} --help'` });
      }
      value = next;
      i++;
    }
    if (def.type === "enum" && !def.options.includes(value)) {
      throw usageError(`${display} must be one of ${def.options.join(", ")}, got '${value}'.${suggestion(value, def.options)}`, {
        hint: `see '${options.command} --help'`,
      });
    }
    const list = lists.get(name);
    if (list) list.push(value);
    else args[name] = value;
  }

  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "positional") continue;
    const value = positionals.shift();
    if (value !== undefined) args[name] = value;
    else if (def.required) {
      throw usageError(`missing argument ${name.toUpperCase()} for '${options.command}'`, { hint: `see '${options.command} --help'` });
    }
  }
  if (positionals.length > 0 && !options.variadic) {
    throw usageError(`unexpected argument '${positionals[0]}' for '${options.command}'`, { hint: `see '${options.command} --help'` });
  }
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "positional" && def.type !== "boolean" && def.required && args[name] === undefined) {
      throw usageError(`missing option --${name} for '${options.command}'`, { hint: `see '${options.command} --help'` });
    }
  }
  // The one place a record built at run time meets the static type: the loops above set exactly
  // what ArgsOf<T> describes (defaults, [] for repeatable flags, required ones checked).
  return { args: args as ArgsOf<T>, extra: positionals, rest };
}

import type { ArgDef, ArgsDef } from "citty";
import { usageError } from "./core/base/errors.ts";
import { suggestion } from "./core/base/did-you-mean.ts";

export interface ParsedCommandArgs {
  args: Record<string, unknown>;
  /** Positionals not claimed by a declared positional argument. */
  extra: string[];
  /** Everything after a bare `--`, untouched. */
  rest: string[];
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

/**
 * Parses a command's argv against its citty argument definitions, stricter than citty: unknown
 * flags are errors with a did-you-mean, enum values are checked, flags named in `repeatable`
 * collect every value.
 */
export function parseCommandArgs(
  defs: ArgsDef,
  tokens: readonly string[],
  options: { repeatable?: readonly string[]; command: string; variadic?: boolean },
): ParsedCommandArgs {
  const byFlag = new Map<string, [string, ArgDef]>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    byFlag.set(name, [name, def]);
    const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    for (const alias of aliases) byFlag.set(alias, [name, def]);
  }
  const args: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    if (def.default !== undefined) args[name] = def.default;
    if (options.repeatable?.includes(name)) args[name] = [];
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
    if (def.type === "enum" && def.options && !def.options.includes(value)) {
      throw usageError(`${display} must be one of ${def.options.join(", ")}, got '${value}'.${suggestion(value, def.options)}`, {
        hint: `see '${options.command} --help'`,
      });
    }
    if (options.repeatable?.includes(name)) (args[name] as string[]).push(value);
    else args[name] = value;
  }

  const positionalDefs = Object.entries(defs).filter(([, d]) => d.type === "positional");
  for (const [name, def] of positionalDefs) {
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
    if (def.required && def.type !== "positional" && args[name] === undefined) {
      throw usageError(`missing option --${name} for '${options.command}'`, { hint: `see '${options.command} --help'` });
    }
  }
  return { args, extra: positionals, rest };
}

import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

/**
 * The yaml package, evaluated on first use: it costs ~5 ms of a compiled dt's start, which a
 * command that finds its configuration cached (`dt docker cmd`, `dt setenv`) never needs to pay.
 */
export function yaml(): typeof Yaml {
  loaded ??= require("yaml") as typeof Yaml;
  return loaded;
}

// What dt's readers of YAML files (dt.yaml, repo_config.yaml, .dt/sync.lock) need beyond the
// yaml library, in linear time:
// - each alias's node, found in one pass, and a budget on how many values aliases may expand
//   to. The library's own guard (`maxAliasCount`) only runs inside its `toJS()`; code that
//   walks the document itself must bring its own, or a few hundred bytes of nested aliases
//   expand to billions of values;
// - duplicate keys. The library's check (`uniqueKeys`, on by default) compares each key with
//   every earlier one of its map: 20,000 tasks took 30 s. Parse with `uniqueKeys: false`.
import type { Alias, Document, Node } from "yaml";
import { usageError, type DtError } from "../base/errors.ts";
import { yaml } from "./yaml.ts";

/** How many values aliases may expand to in one file: far above any real dt.yaml. */
export const ALIAS_BUDGET = 10_000;

/**
 * The node each alias of `doc` stands for (undefined: no anchor of that name before it). The
 * library's `Alias.resolve` walks the whole document for every alias, quadratic in aliases.
 */
export function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  // The last anchor of a name before the alias in document order wins, as in the library.
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  yaml().visit(doc, {
    Node(_, node) {
      if (yaml().isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/** The usage error for a file whose aliases expand past the budget, at the alias that started it. */
export function aliasBudgetError(where: string, limit = ALIAS_BUDGET): DtError {
  return usageError(`aliases expand to more than ${limit.toLocaleString("en-US")} values`, {
    where,
    hint: "write the values out, or use fewer nested aliases (*name)",
  });
}

/** Options for `parseDocument`: the linear duplicate check below replaces the library's. */
export const LINEAR_YAML = { uniqueKeys: false } as const;

/**
 * The keys that repeat an earlier key of their map, in document order (what the library's
 * `uniqueKeys` reports, "Map keys must be unique": scalar keys with the same value).
 */
export function duplicateKeys(doc: Document): Node[] {
  const found: Node[] = [];
  yaml().visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!yaml().isScalar(key) || Number.isNaN(key.value)) continue;
        if (seen.has(key.value)) found.push(key);
        else seen.add(key.value);
      }
    },
  });
  return found;
}

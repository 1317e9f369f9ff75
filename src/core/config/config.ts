import { basename, dirname, join } from "node:path";
import type { Alias, LineCounter, Node } from "yaml";
import { DtError, DtErrors, usageError } from "../base/errors.ts";
import { suggestion } from "../base/did-you-mean.ts";
import { DT_YAML_SCHEMA, defaults, REGISTRY_PREFIX, type DtConfig, type Schema } from "./schema.ts";
import { exists, readText } from "../base/fs-util.ts";
import type { ConfigLayer } from "./layer.ts";
import { readOlderConfig } from "./older-config.ts";
import { OLDER_CONFIG_FILES } from "./older-config-files.ts";
import { ALIAS_BUDGET, aliasBudgetError, aliasTargets, duplicateKeys, LINEAR_YAML } from "./yaml-guards.ts";
import { keyOf, throughCache } from "../base/stamp-cache.ts";
import { yaml } from "./yaml.ts";

export type { DtConfig } from "./schema.ts";


export interface ResolvedConfig {
  config: DtConfig;
  /** Dotted key -> "default", "dt.yaml:LINE", "env DT_REGISTRY", ... */
  sources: Record<string, string>;
  /** One-line notices for the user. */
  notices: string[];
  files: string[];
  /** Settings a file set and dt did not honour, with why (a sub-repo that is not trusted). */
  ignored: { key: string; source: string; reason: string }[];
}

/**
 * Settings that widen what a container reaches: the engine socket, a privileged engine, host
 * paths, host variables. A sub-repo (someone else's code) may set them for its own dirs only
 * when the super-repo's root dt.yaml trusts it (`docker.trusted_subrepos`).
 */
const WIDENING = ["docker.sibling", "docker.dind", "docker.volumes", "docker.env"] as const;

/**
 * Parses and validates one dt.yaml text. Every problem is collected and thrown together, each
 * with `file:line:col`, the dotted key and what was expected.
 */
export function parseConfigText(text: string, file: string): ConfigLayer {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, ...LINEAR_YAML, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const problems: DtError[] = [];
  for (const e of doc.errors) {
    problems.push(usageError(`invalid YAML: ${e.message.split("\n")[0]}`, { where: at(e.pos[0]), hint: "fix the YAML syntax" }));
  }
  for (const key of duplicateKeys(doc)) {
    problems.push(usageError("invalid YAML: Map keys must be unique", { where: at(key.range?.[0]), hint: "fix the YAML syntax" }));
  }
  if (problems.length > 0) throw new DtErrors(problems);
  const layer: ConfigLayer = { values: {}, sources: {} };
  if (doc.contents === null || (yaml().isScalar(doc.contents) && doc.contents.value === null)) return layer;
  const walk: Walk = { at, problems, sources: layer.sources, file, lineCounter, aliases: aliasTargets(doc), aliasDepth: 0, aliasStart: 0, budget: ALIAS_BUDGET, listDepth: 0 };
  const value = validate(doc.contents, DT_YAML_SCHEMA, "", walk);
  if (problems.length > 0) throw new DtErrors(problems);
  layer.values = (value as Record<string, unknown>) ?? {};
  return layer;
}

interface Walk {
  at: (offset: number | undefined) => string;
  problems: DtError[];
  sources: Record<string, string>;
  file: string;
  lineCounter: LineCounter;
  aliases: Map<Alias, Node | undefined>;
  /** Aliases being followed, and the offset of the outermost one. */
  aliasDepth: number;
  aliasStart: number;
  /** Values still allowed through aliases (see yaml-aliases.ts). */
  budget: number;
  /** Inside a list: a list's items get no sources of their own, the list has one. */
  listDepth: number;
}

const describe = (node: unknown): string => {
  if (node === null || node === undefined) return "nothing";
  if (yaml().isMap(node)) return "a mapping";
  if (yaml().isSeq(node)) return "a list";
  if (yaml().isScalar(node)) return node.value === null ? "nothing" : JSON.stringify(node.value);
  return "an unsupported value";
};

function expectedOf(schema: Schema): string {
  switch (schema.kind) {
    case "string":
      return schema.expected ?? (schema.enum ? `one of ${schema.enum.join(", ")}` : "a string");
    case "boolean":
      return "true or false";
    case "number":
      return schema.min !== undefined ? `a number >= ${schema.min}` : "a number";
    case "list":
      return "a list";
    case "map":
    case "object":
      return "a mapping";
    case "either":
      return schema.expected;
  }
}

const isMappingOption = (node: unknown, schema: Schema) => yaml().isMap(node) && (schema.kind === "object" || schema.kind === "map");

/** A key as shown in messages: one line, whatever it contains. */
const keyLabel = (name: string) => (/[\u0000-\u001f\u007f\u2028\u2029]/.test(name) ? JSON.stringify(name) : name);

function validate(node: Node | null | undefined, schema: Schema, key: string, walk: Walk, fallbackOffset?: number): unknown {
  // An alias stands for the node it names (YAML anchors are fine in dt.yaml), within a budget:
  // every value reached through one counts, so nested aliases cannot expand without end.
  if (yaml().isAlias(node)) {
    if (walk.aliasDepth === 0) walk.aliasStart = node.range?.[0] ?? fallbackOffset ?? 0;
    walk.aliasDepth++;
    try {
      return validate(walk.aliases.get(node), schema, key, walk, fallbackOffset);
    } finally {
      walk.aliasDepth--;
    }
  }
  if (walk.aliasDepth > 0 && --walk.budget < 0) throw aliasBudgetError(walk.at(walk.aliasStart));
  // A pair without a value (`{key}`, `? key`) has no node: point at its key instead.
  const offset = node?.range?.[0] ?? fallbackOffset;
  const fail = (message: string, hint?: string) => {
    walk.problems.push(usageError(message, { where: walk.at(offset), hint }));
    return undefined;
  };
  const wrongType = () => fail(`${key || "dt.yaml"}: expected ${expectedOf(schema)}, got ${describe(node)}`);
  const record = () => {
    if (walk.listDepth === 0) walk.sources[key] = `${walk.file}:${walk.lineCounter.linePos(offset ?? 0).line}`;
  };
  switch (schema.kind) {
    case "string": {
      if (!yaml().isScalar(node) || typeof node.value !== "string") return wrongType();
      const v = node.value;
      if (schema.enum && !schema.enum.includes(v)) {
        return fail(`${key}: expected one of ${schema.enum.join(", ")}, got ${JSON.stringify(v)}.${suggestion(v, schema.enum)}`);
      }
      if (schema.pattern && !schema.pattern.test(v)) return fail(`${key}: expected ${expectedOf(schema)}, got ${JSON.stringify(v)}`, schema.hint);
      record();
      return v;
    }
    case "boolean":
      if (!yaml().isScalar(node) || typeof node.value !== "boolean") return wrongType();
      record();
      return node.value;
    case "number":
      if (!yaml().isScalar(node) || typeof node.value !== "number" || !Number.isFinite(node.value)) return wrongType();
      if (schema.min !== undefined && node.value < schema.min) return wrongType();
      record();
      return node.value;
    case "list": {
      if (!yaml().isSeq(node)) return wrongType();
      // Dropping the items' sources afterwards took a scan of all sources per list: quadratic.
      walk.listDepth++;
      let out: unknown[];
      try {
        out = node.items.map((item, i) => validate(item as Node, schema.item, `${key}[${i}]`, walk));
      } finally {
        walk.listDepth--;
      }
      record();
      return out;
    }
    case "either": {
      const before = walk.problems.length;
      let ownShape: DtError[] | undefined;
      for (const option of schema.options) {
        const value = validate(node, option, key, walk, offset);
        if (walk.problems.length === before) return value;
        // A mapping that fails as the one mapping option has a precise fault (an unknown key
        // with its did-you-mean, a bad value deeper in); "expected X or Y" would hide it.
        if (ownShape === undefined && isMappingOption(node, option)) ownShape = walk.problems.slice(before);
        walk.problems.length = before;
      }
      if (ownShape === undefined) return wrongType();
      walk.problems.push(...ownShape);
      return undefined;
    }
    case "map":
    case "object": {
      // A section whose keys are all commented out (`docker:` alone) is simply unset.
      if (key && yaml().isScalar(node) && node.value === null) return undefined;
      if (!yaml().isMap(node)) return wrongType();
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const name = yaml().isScalar(keyNode) ? String(keyNode.value) : undefined;
        const keyOffset = keyNode?.range?.[0] ?? offset;
        const dotted = key ? `${key}.${keyLabel(String(name))}` : keyLabel(String(name));
        if (name === undefined || (yaml().isScalar(keyNode) && keyNode.value === null)) {
          walk.problems.push(usageError(`${key || "dt.yaml"}: a key is missing`, { where: walk.at(keyOffset), hint: "write 'key: value'" }));
          continue;
        }
        let fieldSchema: Schema | undefined;
        if (schema.kind === "object") {
          fieldSchema = schema.fields[name];
          if (!fieldSchema) {
            const known = Object.keys(schema.fields);
            walk.problems.push(
              usageError(`unknown key '${dotted}'.${suggestion(name, known)}`, {
                where: walk.at(keyOffset),
                hint: `known keys${key ? ` under ${key}` : ""}: ${known.join(", ")}`,
              }),
            );
            continue;
          }
        } else {
          if (schema.key && !schema.key.pattern.test(name)) {
            walk.problems.push(usageError(`${dotted}: expected ${schema.key.expected} as key`, { where: walk.at(keyOffset) }));
            continue;
          }
          fieldSchema = schema.value;
        }
        const value = validate(pair.value as Node, fieldSchema, dotted, walk, keyOffset);
        if (value !== undefined) out[name] = value;
      }
      return out;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` into `base`: mappings key by key, lists and scalars replaced whole. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function defaultSources(value: unknown, prefix: string, into: Record<string, string>) {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) defaultSources(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    into[prefix] = "default";
  }
}

/** A dir's own dt.yaml (the root's with relDir "."), parsed; undefined when there is none. */
function dtYamlLayer(root: string, relDir: string): { layer: ConfigLayer; file: string } | undefined {
  const file = relDir === "." ? "dt.yaml" : `${relDir}/dt.yaml`;
  const text = readText(join(root, file));
  return text === undefined ? undefined : { layer: parseConfigText(text, file), file };
}

interface RootFacts {
  dtYaml: ReturnType<typeof dtYamlLayer>;
  older: ReturnType<typeof readOlderConfig>;
  /** The workspace's name and where it came from. */
  name: { value: string; source: string };
}

const rootFactsCache = new Map<string, { stamp: string; facts: RootFacts }>();

/**
 * The root's dt.yaml, its older config and the workspace name, parsed once per process while the
 * files stay the same (`dt ls` resolves the configuration of hundreds of dirs on top of them).
 * The name: dt.yaml, else the older config, else the origin URL, and only last the directory
 * name (people keep several clones of one repo: orders1, orders2).
 */
function rootFactsOf(root: string): RootFacts {
  const stamp = keyOf(["dt.yaml", ...OLDER_CONFIG_FILES, ".git/config"].map((f) => join(root, f)));
  const cached = rootFactsCache.get(root);
  if (cached?.stamp === stamp) return cached.facts;
  const dtYaml = dtYamlLayer(root, ".");
  const older = readOlderConfig(root, ".");
  const fromDt = dtYaml?.layer.values.name as string | undefined;
  const fromOlder = older?.layer.values.name as string | undefined;
  const origin = originName(root);
  const name = fromDt
    ? { value: fromDt, source: dtYaml!.layer.sources.name! }
    : fromOlder
      ? { value: sanitizeName(fromOlder), source: older!.layer.sources.name! }
      : origin
        ? { value: sanitizeName(origin), source: "default (the origin URL)" }
        : { value: sanitizeName(basename(root)), source: "default (root dir name)" };
  const facts = { dtYaml, older, name };
  rootFactsCache.set(root, { stamp, facts });
  return facts;
}

/** The repo name in the root's `remote.origin.url`, read from .git/config (no git process). */
function originName(root: string): string | undefined {
  const text = readText(join(root, ".git", "config"));
  if (!text) return undefined;
  let inOrigin = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) inOrigin = /^\[remote\s+"origin"\]$/.test(line);
    else if (inOrigin) {
      const url = /^url\s*=\s*(.+)$/.exec(line)?.[1]?.trim();
      if (url) return url.replace(/[?#].*$/, "").replace(/\/+$/, "").replace(/\.git$/, "").split(/[/:]/).at(-1) || undefined;
    }
  }
  return undefined;
}

/**
 * The checkout that holds `relDir`: the nearest dir from it up to the root with a `.git` (a
 * sub-repo's is a file), as a path from the root ("." for the root).
 */
function owningRepo(root: string, relDir: string): string {
  for (let rel = relDir; rel !== "." && rel !== ""; rel = dirname(rel)) {
    if (exists(join(root, rel, ".git"))) return rel;
  }
  return ".";
}

/**
 * Every file `loadConfig(root, relDir)` reads (or looks for), for caches of its result: kept
 * next to it so the two change together.
 */
export function configInputs(root: string, relDir = "."): string[] {
  const files = [join(root, "dt.yaml"), join(root, ".git", "config"), ...OLDER_CONFIG_FILES.map((f) => join(root, f))];
  // owningRepo's `.git` checks, and the older config of the repo it finds.
  for (let rel = relDir; rel !== "." && rel !== ""; rel = dirname(rel)) {
    files.push(join(root, rel, ".git"), ...OLDER_CONFIG_FILES.map((f) => join(root, rel, f)));
  }
  if (relDir !== ".") files.push(join(root, relDir, "dt.yaml"));
  return files;
}

/**
 * `loadConfig`, from the cache while every file it reads is unchanged (base/stamp-cache.ts):
 * commands that need one dir's configuration (`dt docker cmd`, `dt config`) then load no YAML
 * parser at all. Invalid files are never cached, so their errors come every time.
 */
export function loadConfigCached(root: string, relDir = ".", env: Record<string, string | undefined> = process.env): Promise<ResolvedConfig> {
  return throughCache({ kind: "config", id: `${root}\0${relDir}`, inputs: configInputs(root, relDir), extra: [env.DT_REGISTRY ?? ""], env }, () =>
    loadConfig(root, relDir, env),
  );
}

/**
 * The configuration of a runnable dir, lowest first: defaults; the older config
 * (`repo_config.yaml`/`.py`) of the repo that holds the dir, its image only for that repo's root
 * dir; the root dt.yaml, its `image` naming the root's image only; the dir's own dt.yaml; the
 * environment. Any other runnable dir's image defaults to its dir name.
 */
export function loadConfig(root: string, relDir = ".", env: Record<string, string | undefined> = process.env): ResolvedConfig {
  const notices: string[] = [];
  const files: string[] = [];
  const ignored: ResolvedConfig["ignored"] = [];
  const rootFacts = rootFactsOf(root);
  const name = rootFacts.name.value;
  let values: Record<string, unknown> = {
    name,
    image: relDir === "." ? name : sanitizeName(basename(relDir)),
    ...defaults(),
  };
  const sources: Record<string, string> = {};
  defaultSources(values, "", sources);
  sources.name = rootFacts.name.source;
  sources.image = relDir === "." ? "default (name)" : "default (dir name)";

  const apply = (layer: ConfigLayer, skip: string[] = []) => {
    const own = Object.fromEntries(Object.entries(layer.values).filter(([k]) => !skip.includes(k)));
    values = mergeValues(values, own);
    // A layer's key replaces the sources of that key, of the keys below it and of those above
    // it. Found through each key's dotted prefixes: comparing every pair was quadratic.
    const incoming = Object.entries(layer.sources).filter(([k]) => !skip.includes(k.split(".")[0]!));
    const keys = new Set(incoming.map(([k]) => k));
    for (const existing of Object.keys(sources)) {
      if (keys.has(existing) || dottedPrefixes(existing).some((p) => keys.has(p))) delete sources[existing];
    }
    for (const [k] of incoming) for (const p of dottedPrefixes(k)) delete sources[p];
    for (const [k, v] of incoming) sources[k] = v;
  };
  const repo = owningRepo(root, relDir);
  const older = repo === "." ? rootFacts.older : readOlderConfig(root, repo);
  if (older) {
    files.push(older.file);
    // The root's name is the workspace's, decided above; a sub-repo's names its own dirs.
    const skip = [...(repo === "." ? ["name"] : []), ...(relDir === repo ? [] : ["image"])];
    apply(older.layer, skip);
    if (older.layer.values.image !== undefined && relDir === repo) values.image = sanitizeName(String(older.layer.values.image));
  }
  if (rootFacts.dtYaml) {
    files.push(rootFacts.dtYaml.file);
    apply(rootFacts.dtYaml.layer, relDir === "." ? [] : ["image"]);
  }
  if (relDir !== ".") {
    const dirLayer = dtYamlLayer(root, relDir);
    if (dirLayer) {
      files.push(dirLayer.file);
      const trusted = (rootFacts.dtYaml?.layer.values.docker as { trusted_subrepos?: string[] } | undefined)?.trusted_subrepos ?? [];
      if (repo !== "." && !trusted.includes("*") && !trusted.includes(repo)) {
        const docker = dirLayer.layer.values.docker as Record<string, unknown> | undefined;
        for (const key of WIDENING) {
          const field = key.split(".")[1]!;
          if (docker?.[field] === undefined) continue;
          ignored.push({ key, source: dirLayer.layer.sources[key] ?? dirLayer.file, reason: `${repo} is a sub-repo the root dt.yaml does not trust (docker.trusted_subrepos)` });
          delete docker[field];
          for (const k of Object.keys(dirLayer.layer.sources)) if (k === key || k.startsWith(`${key}[`)) delete dirLayer.layer.sources[k];
        }
      }
      apply(dirLayer.layer);
    }
  }
  if (env.DT_REGISTRY) {
    if (!REGISTRY_PREFIX.test(env.DT_REGISTRY)) {
      throw usageError(`DT_REGISTRY=${JSON.stringify(env.DT_REGISTRY)} is not a registry prefix like ghcr.io/acme or 127.0.0.1:5000/team`, {
        hint: "set DT_REGISTRY to a host, an optional :port and a lowercase path, without a scheme",
      });
    }
    values.registry = env.DT_REGISTRY;
    sources.registry = "env DT_REGISTRY";
  }
  for (const i of ignored) notices.push(`ignored ${i.key} of ${i.source}: ${i.reason}`);
  return { config: values as unknown as DtConfig, sources, notices, files, ignored };
}

/** `a.b.c` -> `a`, `a.b`. */
function dottedPrefixes(key: string): string[] {
  const out: string[] = [];
  for (let dot = key.indexOf("."); dot !== -1; dot = key.indexOf(".", dot + 1)) out.push(key.slice(0, dot));
  return out;
}

/** A directory name made into a valid image name component. */
export function sanitizeName(raw: string): string {
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .replace(/[._-]{2,}/g, "-");
  return cleaned || "app";
}

/** Flattens the resolved config into rows of dotted key, value and source, for `dt config`. */
export function configRows(resolved: ResolvedConfig): { key: string; value: unknown; source: string }[] {
  const rows: { key: string; value: unknown; source: string }[] = [];
  const walk = (value: unknown, prefix: string) => {
    const source = resolved.sources[prefix];
    if (source !== undefined || !isPlainObject(value) || Object.keys(value).length === 0) {
      rows.push({ key: prefix, value, source: source ?? sourceOfChildren(prefix) });
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
  };
  const sourceOfChildren = (prefix: string) => {
    const found = new Set(Object.entries(resolved.sources).filter(([k]) => k.startsWith(`${prefix}.`)).map(([, v]) => v));
    return [...found].join(", ") || "default";
  };
  for (const [k, v] of Object.entries(resolved.config)) walk(v, k);
  return rows;
}

/**
 * The dir's own dev Dockerfile (through links) when it does not use `BASE_IMAGE`: there
 * `base_image` has no effect. Null when the dir uses dt's template (which does) or its own uses it.
 */
export function baseImageIgnoredBy(root: string, relDir: string): string | null {
  const file = `${relDir === "." ? "" : `${relDir}/`}devops/docker_build/dev.Dockerfile`;
  const text = readText(join(root, file));
  if (text === undefined) return null;
  return /\$\{?BASE_IMAGE\b/.test(text) ? null : file;
}

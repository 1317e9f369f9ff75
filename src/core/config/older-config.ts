// The older invoke-based toolchain's per-repo settings: `repo_config.yaml`, or the still older
// `repo_config.py`, read as text (never imported or run) as dt's `name`, `image` and
// `registries`, each value with its `file:line`.
import { join } from "node:path";
import type { Node } from "yaml";
import { usageError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import type { ConfigLayer } from "./layer.ts";
import { OLDER_CONFIG_FILES } from "./older-config-files.ts";
import { aliasTargets, duplicateKeys, LINEAR_YAML } from "./yaml-guards.ts";
import { yaml } from "./yaml.ts";


/**
 * The older config of the repo checked out at `repoDir` (`repoRel` from the workspace root, "."
 * for the root), or undefined when it has none. Where both files exist the YAML one is read: the
 * toolchain moved from the .py to it.
 */
export function readOlderConfig(root: string, repoRel: string): { layer: ConfigLayer; file: string } | undefined {
  for (const name of OLDER_CONFIG_FILES) {
    const file = repoRel === "." ? name : `${repoRel}/${name}`;
    const text = readText(join(root, file));
    if (text === undefined) continue;
    return { layer: name.endsWith(".py") ? parseRepoConfigPy(text, file) : parseRepoConfigYaml(text, file), file };
  }
  return undefined;
}

/** `repo_info.repo_name`, `docker_info.docker_image_name`, `container_registry_info.NAME`. */
export function parseRepoConfigYaml(text: string, file: string): ConfigLayer {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, ...LINEAR_YAML });
  const at = (node: Node) => `${file}:${lineCounter.linePos(node.range?.[0] ?? 0).line}`;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw usageError(`invalid YAML: ${e.message.split("\n")[0]}`, { where: `${file}:${e.linePos?.[0].line ?? 1}`, hint: "fix the YAML syntax" });
  }
  const duplicate = duplicateKeys(doc)[0];
  if (duplicate) throw usageError("invalid YAML: Map keys must be unique", { where: at(duplicate), hint: "fix the YAML syntax" });
  const layer: ConfigLayer = { values: {}, sources: {} };
  // The older toolchain's YAML loader follows aliases; dt follows them to the few values it
  // reads (a section, a name), never through the rest of the file.
  const targets = aliasTargets(doc);
  const resolve = (node: unknown) => (yaml().isAlias(node) ? targets.get(node) : node);
  const section = (name: string) => {
    const contents = resolve(doc.contents);
    const node = yaml().isMap(contents) ? resolve(contents.get(name, true)) : undefined;
    return yaml().isMap(node) ? node : undefined;
  };
  const stringAt = (sectionName: string, key: string, into: string) => {
    const node = resolve(section(sectionName)?.get(key, true));
    if (yaml().isScalar(node) && typeof node.value === "string") {
      layer.values[into] = node.value;
      layer.sources[into] = at(node);
    }
  };
  stringAt("repo_info", "repo_name", "name");
  stringAt("docker_info", "docker_image_name", "image");
  const registries = section("container_registry_info");
  if (registries) {
    const found: Record<string, string> = {};
    for (const pair of registries.items) {
      const value = resolve(pair.value);
      if (yaml().isScalar(pair.key) && yaml().isScalar(value) && typeof value.value === "string") {
        const name = String(pair.key.value);
        found[name] = value.value;
        layer.sources[`registries.${name}`] = at(value);
      }
    }
    if (Object.keys(found).length) layer.values.registries = found;
  }
  return layer;
}

// A module-level string assignment: `_NAME = "x"`, `_NAME: str = 'x'` (no f-strings, no
// concatenation; anything else is code dt does not run, so it is not a value dt can know).
const PY_ASSIGNMENT = /^(_?[A-Z][A-Z0-9_]*)\s*(?::\s*str\s*)?=\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)')\s*(?:#.*)?$/;

/** What a `repo_config.py` assigns to dt's keys. */
const PY_KEYS: Record<string, "name" | "image"> = {
  _REPO_NAME: "name",
  REPO_NAME: "name",
  _DOCKER_IMAGE_NAME: "image",
  DOCKER_IMAGE_NAME: "image",
};

/**
 * `_REPO_NAME = "orders"` -> name, `_DOCKER_IMAGE_NAME = "orders"` -> image,
 * `_CONTAINER_REGISTRY_<NAME> = "host/path"` -> registries.<name>. Only top-level lines.
 */
export function parseRepoConfigPy(text: string, file: string): ConfigLayer {
  const layer: ConfigLayer = { values: {}, sources: {} };
  const registries: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const m = PY_ASSIGNMENT.exec(line);
    if (!m) return;
    const [, variable, double, single] = m;
    const value = double ?? single ?? "";
    const where = `${file}:${i + 1}`;
    const key = PY_KEYS[variable!];
    if (key) {
      layer.values[key] = value;
      layer.sources[key] = where;
      return;
    }
    const registry = /^_?CONTAINER_REGISTRY_([A-Z0-9_]+)$/.exec(variable!)?.[1];
    if (registry && value) {
      const name = registry.toLowerCase();
      registries[name] = value;
      layer.sources[`registries.${name}`] = where;
    }
  });
  if (Object.keys(registries).length) layer.values.registries = registries;
  return layer;
}

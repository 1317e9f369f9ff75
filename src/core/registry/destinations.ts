import { usageError } from "../base/errors.ts";
import type { Target } from "../workspace/target.ts";
import { registryClient, type RegistryClient } from "./client.ts";
import { registryHost } from "./docker-config.ts";

/** A registry images go to: its prefix (`host[:port]/path`) and the repository of the image. */
export interface Destination {
  name: string;
  prefix: string;
  host: string;
  /** Repository path inside the registry (no host). */
  path: string;
  repository: string;
  client: RegistryClient;
}

/** The registries of `names` (of registries: in dt.yaml), or the default `registry:`. */
export function destinations(target: Target, names: readonly string[] | undefined, purpose: "release to" | "pull from" = "release to"): Destination[] {
  const { config } = target.resolved;
  const wanted = names?.length ? names : [undefined];
  return wanted.map((name) => {
    let prefix: string | null;
    if (name === undefined) {
      prefix = config.registry;
      if (!prefix) {
        throw usageError(`no registry to ${purpose}`, {
          hint: "set registry: in dt.yaml (or DT_REGISTRY), or name one of registries: with --registry NAME",
        });
      }
    } else {
      prefix = config.registries[name] ?? null;
      if (!prefix) {
        const known = Object.keys(config.registries);
        throw usageError(`unknown registry '${name}'`, { hint: known.length ? `use one of: ${known.join(", ")}` : "declare it under registries: in dt.yaml" });
      }
    }
    prefix = prefix.replace(/\/+$/, "");
    const host = registryHost(prefix);
    const path = `${prefix.slice(host.length).replace(/^\//, "")}${prefix === host ? "" : "/"}${config.image}`.replace(/^\//, "");
    return { name: name ?? "default", prefix, host, path, repository: `${prefix}/${config.image}`, client: registryClient(host) };
  });
}

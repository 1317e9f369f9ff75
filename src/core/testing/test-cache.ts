// The test-result cache of one `dt test` run: each dir's key, looked up locally and then (with
// `test.cache: registry`) in the registry; passing results stored in both; the inputs of each
// dir's last cached run kept for --explain. A dir whose cache is off, or a run with --no-cache,
// never reads a result; --no-cache still stores what passed.
import { DT_VERSION } from "../base/dt-version.ts";
import { loadConfig } from "../config/config.ts";
import type { TestCacheMode } from "../config/schema.ts";
import { parseMemory } from "../run/run-env.ts";
import type { Workspace } from "../workspace/workspace.ts";
import { cacheInputs, explainChanges, type CacheInputs, type KeyRequest } from "./cache-key.ts";
import { indexWorkspace, type FileIndex } from "./file-index.ts";
import { RegistryResultCache } from "./registry-cache.ts";
import { LocalResultCache, type CachedResult } from "./result-cache.ts";

export interface CacheRunOptions {
  /** Run every dir (results that pass are still stored). */
  noCache?: boolean;
  /** Say for each dir that runs which inputs changed since its last cached run. */
  explain?: boolean;
  /** Where docker.env values and registry credentials come from (default: process.env). */
  env?: Record<string, string | undefined>;
}

export interface PreparedKey {
  dir: string;
  inputs: CacheInputs;
  index: FileIndex;
  registry: RegistryResultCache | undefined;
}

/** What the run's report says about the cache. */
export interface CacheSummary {
  /** Dirs served from the cache. */
  hits: number;
  /** Problems that did not stop the tests (a registry that failed, a setting that cannot apply). */
  warnings: string[];
}

export class TestCache {
  readonly warnings: string[] = [];
  hits = 0;
  private readonly local: LocalResultCache;
  private readonly registries = new Map<string, RegistryResultCache>();
  private index: Promise<FileIndex> | undefined;
  private broken = false;
  private readonly env: Record<string, string | undefined>;

  constructor(
    private readonly ws: Workspace,
    private readonly options: CacheRunOptions = {},
  ) {
    this.env = options.env ?? process.env;
    const root = loadConfig(ws.root, ".", this.env).config.test;
    this.local = new LocalResultCache(ws.root, parseMemory(root.cache_size));
    // Listing the repos overlaps the image lookups when the cache is likely on.
    if (root.cache !== "off") this.indexed().catch(() => {});
  }

  private indexed(): Promise<FileIndex> {
    this.index ??= indexWorkspace(this.ws);
    return this.index;
  }

  private warn = (message: string) => {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  };

  /** The dir's key and inputs; undefined when its cache is off (or the workspace cannot be listed). */
  async prepare(mode: TestCacheMode, registryPrefix: string | null, req: Omit<KeyRequest, "ws" | "index" | "env">): Promise<PreparedKey | undefined> {
    if (mode === "off" || this.broken) return undefined;
    let index: FileIndex;
    try {
      index = await this.indexed();
    } catch (e) {
      this.broken = true;
      this.warn(`test cache: off for this run, the workspace's files could not be listed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const inputs = cacheInputs({ ...req, ws: this.ws, index, env: this.env });
    let registry: RegistryResultCache | undefined;
    if (mode === "registry") {
      if (registryPrefix) {
        registry = this.registries.get(registryPrefix);
        if (!registry) this.registries.set(registryPrefix, (registry = new RegistryResultCache(registryPrefix, this.warn, this.env)));
      } else this.warn("test cache: test.cache is registry but no registry: is set (dt.yaml or DT_REGISTRY); results stay local");
    }
    return { dir: req.target.path, inputs, index, registry };
  }

  /** A cached passing result for the key: local first, then the registry (kept locally once found). */
  async lookup(p: PreparedKey): Promise<CachedResult | undefined> {
    if (this.options.noCache) return undefined;
    const { key } = p.inputs;
    let hit = this.local.get(key);
    if (!hit && p.registry) {
      hit = await p.registry.get(key, p.dir);
      try {
        if (hit) this.local.put(hit);
      } catch {
        // Served from the registry again next time.
      }
    }
    if (!hit) return undefined;
    this.hits++;
    try {
      this.record(p, hit.at);
    } catch {
      // Only --explain reads the record; a hit is a hit without it.
    }
    return hit;
  }

  /** For a dir that runs, with --explain: what differs from its last cached run. */
  explain(p: PreparedKey): string[] | null {
    if (!this.options.explain) return null;
    return explainChanges(
      this.local.lastInputs(p.dir),
      p.inputs,
      (digest) => this.local.scopeFiles(digest),
      (scope) => p.index.entries(scope),
    );
  }

  /** Stores a passing run's result, locally and (with test.cache: registry) in the registry. */
  async store(p: PreparedKey, result: Omit<CachedResult, "version" | "key" | "dt">): Promise<void> {
    const entry: CachedResult = { version: 1, key: p.inputs.key, dt: DT_VERSION, ...result };
    try {
      this.local.put(entry);
      this.record(p, entry.at);
    } catch (e) {
      // A full disk or a read-only .dt/ loses the shortcut, not the run's result.
      this.warn(`test cache: could not store the result of ${p.dir} in ${this.local.dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
    await p.registry?.put(entry);
  }

  /**
   * After a failure: a pass cached under the same key (the same inputs, so a flaky test) is
   * dropped locally, so the next run runs again rather than report that old pass.
   */
  forget(p: PreparedKey): void {
    try {
      this.local.remove(p.inputs.key);
    } catch {
      // Nothing to drop, or a read-only .dt/: the next run may still serve the old pass.
    }
  }

  /** Keeps the local cache within its size; what the report says about the cache. */
  finish(): CacheSummary {
    try {
      this.local.evict();
    } catch (e) {
      this.warn(`test cache: could not trim ${this.local.dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { hits: this.hits, warnings: this.warnings };
  }

  private record(p: PreparedKey, at: string): void {
    const scopes = new Map(Object.entries(p.inputs.scopes).map(([name, scope]) => [p.inputs.inputs[name]!, scope]));
    this.local.recordInputs(p.dir, { key: p.inputs.key, at, inputs: p.inputs.inputs }, (digest) => p.index.entries(scopes.get(digest)!));
  }
}

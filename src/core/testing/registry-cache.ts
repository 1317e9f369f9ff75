// Test results shared through the workspace's registry (`test.cache: registry`), so a CI shard
// and a laptop reuse each other's passing runs. An entry is an OCI image manifest tagged with
// the key in `<registry>/dt-test-cache`, whose config blob (of dt's own media type) is the
// result JSON and which has no layers: Distribution 2.8 and the hosted registries store such
// artifacts like any image. The cache is a shortcut, never a requirement: a registry that
// fails or does not answer costs one 2 s timeout, one warning, and the tests run.
import { DtError } from "../base/errors.ts";
import { registryClient, type RegistryClient } from "../registry/client.ts";
import { registryHost } from "../registry/docker-config.ts";
import { MediaType } from "../registry/manifest.ts";
import { isCachedResult, type CachedResult } from "./result-cache.ts";

export const RESULT_MEDIA_TYPE = "application/vnd.dt.test-result.v1+json";
export const CACHE_REPOSITORY = "dt-test-cache";
const TIMEOUT_MS = 2000;

export class RegistryResultCache {
  readonly host: string;
  readonly repository: string;
  private readonly client: RegistryClient;
  private readable = true;
  private writable = true;
  /** Settles when the first request has: the others wait for it, so a dead registry costs one timeout. */
  private first: Promise<void> | undefined;

  constructor(
    prefix: string,
    private readonly warn: (message: string) => void,
    env: Record<string, string | undefined> = process.env,
  ) {
    const trimmed = prefix.replace(/\/+$/, "");
    this.host = registryHost(trimmed);
    const path = trimmed.startsWith(`${this.host}/`) ? trimmed.slice(this.host.length + 1) : trimmed === this.host ? "" : trimmed;
    this.repository = path ? `${path}/${CACHE_REPOSITORY}` : CACHE_REPOSITORY;
    this.client = registryClient(this.host, { timeoutMs: TIMEOUT_MS, env });
  }

  /** The entry for `key`, or undefined (none, unusable, or the registry is out for this run). */
  async get(key: string, dir: string): Promise<CachedResult | undefined> {
    return this.gated(async () => {
      if (!this.readable) return undefined;
      try {
        const manifest = await this.client.getManifest(this.repository, key, [MediaType.ociManifest]);
        const config = (manifest?.json as { config?: { mediaType?: string; digest?: string } } | undefined)?.config;
        if (config?.mediaType !== RESULT_MEDIA_TYPE || !config.digest) return undefined;
        const value = await this.client.getBlobJson(this.repository, config.digest);
        return isCachedResult(value, key) && value.dir === dir ? value : undefined;
      } catch (e) {
        this.readable = this.writable = false;
        this.warn(`test cache: reading ${this.host}/${this.repository} failed, results are not shared this run: ${message(e)}`);
        return undefined;
      }
    });
  }

  /** Stores a passing result under its key; a failure turns storing off for the run, with a warning. */
  async put(result: CachedResult): Promise<void> {
    await this.gated(async () => {
      if (!this.writable) return;
      const { output: _localOnly, ...shared } = result;
      const config = new TextEncoder().encode(JSON.stringify(shared));
      try {
        const digest = await this.client.putBlob(this.repository, config);
        const manifest = {
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: RESULT_MEDIA_TYPE, digest, size: config.byteLength },
          layers: [],
          annotations: { "dev.dt.runnable-dir": result.dir, "org.opencontainers.image.created": result.at },
        };
        await this.client.putManifest(this.repository, result.key, JSON.stringify(manifest), MediaType.ociManifest);
      } catch (e) {
        this.writable = false;
        this.warn(`test cache: storing results in ${this.host}/${this.repository} failed, they stay local this run: ${message(e)}`);
      }
    });
  }

  private async gated<T>(op: () => Promise<T>): Promise<T> {
    if (!this.first) {
      let settle!: () => void;
      this.first = new Promise((resolve) => (settle = resolve));
      try {
        return await op();
      } finally {
        settle();
      }
    }
    await this.first;
    return op();
  }
}

// The client's messages are scrubbed of credentials already; a bare Error is dt's own.
const message = (e: unknown) => (e instanceof DtError ? e.message : e instanceof Error ? e.message : String(e));

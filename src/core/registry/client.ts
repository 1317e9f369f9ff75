// A small client for the Registry HTTP API v2 (Distribution, GHCR, ECR, Docker Hub, ...):
// manifests, and small blobs. Enough for "is this version already released?", writing a manifest
// list / OCI index over per-platform pushes, moving a floating tag without pulling (rollback), and
// the test-result cache's entries (testing/registry-cache.ts).
// Auth follows the registry's WWW-Authenticate challenge (auth-challenge.ts).
import { basicHeader, fetchToken, parseChallenge } from "./auth-challenge.ts";
import { authSecrets, redact, resolveCredentials, type RegistryAuth } from "./credentials.ts";
import { credentialSource, readDockerConfig } from "./docker-config.ts";
import { ALL_MANIFEST_TYPES, buildIndex, manifestType, sha256Digest, type IndexEntry, type Manifest, type ManifestHead } from "./manifest.ts";
import { isDigest, normalizeRepo, validateTag } from "./names.ts";
import { DtError, envError, isDtError, usageError, workError } from "../base/errors.ts";
import { printable } from "../base/printable.ts";

interface RegistryClientOptions {
  /**
   * Credentials to use. Omitted: found with `resolveCredentials(host, env)` the first time the
   * registry asks for them (so an open registry never runs a credential helper). `null`: none.
   */
  credentials?: RegistryAuth | null;
  /** Environment for finding credentials (DOCKER_CONFIG, PATH for helpers). */
  env?: Record<string, string | undefined>;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

const USER_AGENT = "dt-registry-client";

const MiB = 1024 * 1024;
/**
 * The most dt reads of an answer, by kind. A registry's answers are small; one that sends more is
 * broken or hostile, and reading it whole once took 2 GB of memory for a 1 GiB manifest.
 * Manifests: distribution refuses to store one over 4 MiB. Image configs are JSON of a few KB,
 * a few hundred for long histories. Error bodies are cut, not refused: only a line is shown.
 */
export const BODY_LIMITS = { manifest: 4 * MiB, config: 16 * MiB, token: 1 * MiB, error: 64 * 1024 } as const;

function joined(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const sizeText = (bytes: number) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

/** True for hosts the Docker engine talks plain HTTP to by default: localhost, 127.0.0.0/8, [::1]. */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  if (name.toLowerCase() === "localhost" || name === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** `http://127.0.0.1:5000`, `https://ghcr.io`; Docker Hub's API lives at registry-1.docker.io. */
export function registryBase(host: string): string {
  if (host === "docker.io" || host === "index.docker.io") return "https://registry-1.docker.io";
  return `${isLoopbackRegistry(host) ? "http" : "https"}://${host}`;
}

type Action = "pull" | "pull,push";

interface RequestSpec {
  method: "GET" | "HEAD" | "PUT" | "POST";
  repo: string;
  /** Below the registry's base; or a whole URL of another origin (an upload location), which gets no credentials. */
  path: string;
  action: Action;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** What is asked for, for messages: `REPO:REF`. */
  what: string;
}

export class RegistryClient {
  readonly host: string;
  readonly base: string;
  private credentials: RegistryAuth | null | undefined;
  private readonly env: Record<string, string | undefined>;
  private readonly timeoutMs: number;
  /** Bearer tokens by scope, for the client's life. */
  private readonly tokens = new Map<string, string>();
  /** Set once the registry has asked for Basic: later requests send it up front. */
  private basic = false;
  /** The credentials were found in the Docker config (not passed in). */
  private fromConfig = false;

  constructor(host: string, options: RegistryClientOptions = {}) {
    if (!host || /[\s/]/.test(host)) throw usageError(`'${host}' is not a registry host (expected e.g. ghcr.io or 127.0.0.1:5000)`);
    this.host = host;
    this.base = registryBase(host);
    this.credentials = options.credentials;
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The manifest `repo:ref` (tag or digest), or undefined when the registry has none. */
  async getManifest(repo: string, ref: string, accept: readonly string[] = ALL_MANIFEST_TYPES): Promise<Manifest | undefined> {
    const res = await this.manifestRequest("GET", repo, ref, accept);
    if (!res) return undefined;
    const body = await this.readBody(res, BODY_LIMITS.manifest, `the manifest ${repo}:${ref}`);
    const computed = sha256Digest(body);
    if (ref.startsWith("sha256:") && ref !== computed) {
      throw workError(`registry ${this.host} returned a manifest for ${repo}@${ref} whose digest is ${computed}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw workError(`registry ${this.host} returned a manifest for ${repo}:${ref} that is not JSON`);
    }
    const declared = json !== null && typeof json === "object" ? (json as { mediaType?: unknown }).mediaType : undefined;
    return {
      mediaType: manifestType(res.headers.get("content-type"), declared),
      digest: res.headers.get("docker-content-digest") || computed,
      size: body.byteLength,
      body,
      json,
    };
  }

  /** A checked answer for the manifest `repo:ref`, or undefined when the registry has none. */
  private async manifestRequest(method: "GET" | "HEAD", repo: string, ref: string, accept: readonly string[]): Promise<Response | undefined> {
    const what = `${repo}:${ref}`;
    const res = await this.request({ method, repo, path: this.manifestPath(repo, ref), action: "pull", headers: { Accept: accept.join(", ") }, what });
    if (res.status === 404) return undefined;
    await this.check(res, method, what);
    return res;
  }

  /** Digest, media type and size of `repo:ref` without its body; undefined when missing. */
  async headManifest(repo: string, ref: string, accept: readonly string[] = ALL_MANIFEST_TYPES): Promise<ManifestHead | undefined> {
    const res = await this.manifestRequest("HEAD", repo, ref, accept);
    if (!res) return undefined;
    const digest = res.headers.get("docker-content-digest");
    const length = Number(res.headers.get("content-length"));
    const type = res.headers.get("content-type");
    if (!digest || !Number.isFinite(length) || length <= 0 || !type) {
      // Some registries leave these out of HEAD answers; the body is small.
      const m = await this.getManifest(repo, ref, accept);
      return m && { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    return { digest, mediaType: manifestType(type, undefined), size: length };
  }

  /** Stores `body` as `repo:ref` (a tag or its own digest); returns its digest. */
  async putManifest(repo: string, ref: string, body: Uint8Array | string, mediaType: string): Promise<string> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const res = await this.request({
      method: "PUT",
      repo,
      path: this.manifestPath(repo, ref),
      action: "pull,push",
      headers: { "Content-Type": mediaType },
      body: bytes,
      what: `${repo}:${ref}`,
    });
    await this.check(res, "PUT", `${repo}:${ref}`);
    await this.discard(res);
    return res.headers.get("docker-content-digest") || sha256Digest(bytes);
  }

  /**
   * Writes a manifest list (`kind: "docker"`) or OCI index (`"oci"`) of `entries` under
   * `repo:tag` and returns its digest. The entries must already be in `repo`.
   */
  async putIndex(repo: string, tag: string, entries: readonly IndexEntry[], kind: "docker" | "oci" = "docker"): Promise<string> {
    const { body, mediaType } = buildIndex(entries, kind);
    return this.putManifest(repo, tag, body, mediaType);
  }

  /**
   * Points `repo:toTag` at what `repo:fromRef` is, byte for byte, without pulling anything.
   * Returns the digest. Throws an environment error when `fromRef` does not exist.
   */
  async copyTag(repo: string, fromRef: string, toTag: string): Promise<string> {
    validateTag(toTag);
    const source = await this.getManifest(repo, fromRef);
    if (!source) {
      throw envError(`${this.host}/${repo}${fromRef.includes(":") ? "@" : ":"}${fromRef} does not exist in the registry`, {
        hint: `push that version first (dt docker push --version ...), or pick one that was released`,
      });
    }
    return this.putManifest(repo, toTag, source.body, source.mediaType);
  }

  /** The tags of `repo` (the first page the registry gives, up to 1000); [] when it has none. */
  async listTags(repo: string): Promise<string[]> {
    const what = `${repo} tags`;
    const res = await this.request({ method: "GET", repo, path: `/v2/${normalizeRepo(this.host, repo)}/tags/list?n=1000`, action: "pull", headers: {}, what });
    if (res.status === 404) return [];
    await this.check(res, "GET", what);
    const body = (await res.json()) as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string") : [];
  }

  /** A JSON blob of `repo` (an image config), or undefined when the registry has none. */
  async getBlobJson(repo: string, digest: string): Promise<unknown> {
    if (!isDigest(digest)) throw usageError(`'${digest}' is not a digest`);
    const res = await this.request({
      method: "GET",
      repo,
      path: `/v2/${normalizeRepo(this.host, repo)}/blobs/${digest}`,
      action: "pull",
      headers: {},
      what: `${repo}@${digest}`,
    });
    if (res.status === 404) return undefined;
    await this.check(res, "GET", `${repo}@${digest}`);
    const body = await this.readBody(res, BODY_LIMITS.config, `the image config ${repo}@${digest}`);
    try {
      return JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw workError(`registry ${this.host} returned an image config for ${repo}@${digest} that is not JSON`);
    }
  }

  /**
   * Stores `bytes` as a blob of `repo` and returns its digest: an upload started with POST and
   * finished with one PUT of the whole body, which every registry takes (a single-POST upload
   * is optional in the Distribution spec).
   */
  async putBlob(repo: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256Digest(bytes);
    const what = `${repo}@${digest}`;
    const start = await this.request({ method: "POST", repo, path: `/v2/${normalizeRepo(this.host, repo)}/blobs/uploads/`, action: "pull,push", what });
    await this.check(start, "POST", what);
    await start.arrayBuffer().catch(() => undefined);
    const location = start.headers.get("location");
    if (!location) throw envError(`registry ${this.host} started an upload of ${what} without saying where to send it (no Location)`);
    const url = new URL(location, this.base);
    url.searchParams.set("digest", digest);
    const path = url.origin === new URL(this.base).origin ? `${url.pathname}${url.search}` : url.toString();
    const res = await this.request({ method: "PUT", repo, path, action: "pull,push", headers: { "Content-Type": "application/octet-stream" }, body: bytes, what });
    await this.check(res, "PUT", what);
    await res.arrayBuffer().catch(() => undefined);
    return digest;
  }

  /**
   * The labels of `repo:ref`'s image config; for a manifest list or index, of its first
   * entry (dt's labels are the same on every platform but the arch). Undefined when missing.
   */
  async imageLabels(repo: string, ref: string): Promise<Record<string, string> | undefined> {
    let manifest = await this.getManifest(repo, ref);
    const list = manifest?.json as { manifests?: { digest: string }[] } | undefined;
    if (list?.manifests?.[0]) manifest = await this.getManifest(repo, list.manifests[0].digest);
    const config = (manifest?.json as { config?: { digest?: string } } | undefined)?.config?.digest;
    if (!config) return undefined;
    const blob = (await this.getBlobJson(repo, config)) as { config?: { Labels?: Record<string, string> } } | undefined;
    return blob?.config?.Labels ?? {};
  }

  // ------------------------------------------------------------------ internals

  private manifestPath(repo: string, ref: string): string {
    const name = normalizeRepo(this.host, repo);
    if (!isDigest(ref)) validateTag(ref);
    return `/v2/${name}/manifests/${ref}`;
  }

  private secrets(): string[] {
    return this.credentials ? authSecrets(this.credentials) : [];
  }

  private async auth(): Promise<RegistryAuth | undefined> {
    if (this.credentials === undefined) {
      this.credentials = (await resolveCredentials(this.host, this.env)) ?? null;
      this.fromConfig = this.credentials !== null;
    }
    return this.credentials ?? undefined;
  }

  /** Where the credentials came from, for messages (never the credentials themselves). */
  private source(): string {
    if (!this.fromConfig) return "";
    const from = credentialSource(this.host, readDockerConfig(this.env));
    return from ? ` (credentials from ${from})` : "";
  }

  private scope(spec: RequestSpec): string {
    return `repository:${normalizeRepo(this.host, spec.repo)}:${spec.action}`;
  }

  /** The request, answered after at most one challenge (and one retry of a stale token). */
  private async request(spec: RequestSpec): Promise<Response> {
    const scope = this.scope(spec);
    let authorization: string | undefined;
    const cached = this.tokens.get(scope);
    if (cached) authorization = `Bearer ${cached}`;
    else if (this.basic) {
      const auth = await this.auth();
      authorization = auth && basicHeader(auth);
    }
    let res = await this.send(spec, authorization);
    for (let round = 0; res.status === 401 && round < 2; round++) {
      const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
      await this.discard(res);
      if (cached && round === 0) this.tokens.delete(scope);
      else if (authorization !== undefined) throw this.refused(spec);
      const auth = await this.auth();
      if (challenge.scheme === "basic") {
        const header = auth && basicHeader(auth);
        if (!header) throw this.refused(spec);
        this.basic = true;
        authorization = header;
      } else if (challenge.scheme === "bearer") {
        const token = await fetchToken(challenge.params, auth, {
          host: this.host,
          scope,
          fetch: (url, init) => this.fetchOrThrow(url, init),
          refused: () => this.refused(spec),
          errorText: (r) => this.errorText(r),
          readBody: (r, what) => this.readBody(r, BODY_LIMITS.token, what),
          discard: (r) => this.discard(r),
        });
        this.tokens.set(scope, token);
        authorization = `Bearer ${token}`;
      } else {
        throw envError(`registry ${this.host} asked for an authentication scheme dt does not know (${challenge.scheme || "none"})`, {
          hint: `docker login ${this.host}`,
        });
      }
      res = await this.send(spec, authorization);
    }
    if (res.status === 401) throw this.refused(spec);
    return res;
  }

  private refused(spec: RequestSpec): DtError {
    const message = this.credentials
      ? `registry ${this.host} refused the credentials for ${spec.repo} (401)${this.source()}`
      : `registry ${this.host} refused access to ${spec.repo} (401)`;
    return envError(message, { hint: `docker login ${this.host}` });
  }

  private async send(spec: RequestSpec, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...spec.headers };
    const foreign = !spec.path.startsWith("/");
    // A registry may hand an upload to storage elsewhere; its credentials stay with the registry.
    if (authorization && !foreign) headers.Authorization = authorization;
    return this.fetchOrThrow(foreign ? spec.path : `${this.base}${spec.path}`, { method: spec.method, headers, body: spec.body });
  }

  private async fetchOrThrow(url: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    try {
      const headers = { "User-Agent": USER_AGENT, ...init.headers };
      return await fetch(url, { ...init, headers, redirect: "follow", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      // Bun's text for a refused connection ends in a question to the user ("Is the computer able
      // to access the url?"): the code alone says it, as the engine's errors do.
      const code = (error as { code?: unknown } | undefined)?.code;
      const reason = code === "ECONNREFUSED" ? "connection refused (ECONNREFUSED)" : error instanceof Error ? error.message : String(error);
      const secrets = this.secrets();
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const origin = new URL(url).origin;
      throw envError(
        timedOut
          ? `registry ${this.host} did not answer within ${Math.round(this.timeoutMs / 1000)} s (${origin})`
          : `cannot reach registry ${this.host} at ${origin}: ${redact(reason, secrets)}`,
        {
          hint: isLoopbackRegistry(this.host)
            ? `start the registry on ${this.host}, or fix the registry in dt.yaml`
            : `check the registry name in dt.yaml and your network; dt talks HTTPS to every registry except localhost/127.0.0.0/8`,
          cause: new Error(redact(reason, secrets)),
        },
      );
    }
  }

  /** Throws for anything but 2xx: 5xx is the registry's trouble (exit 3), other 4xx the request's (exit 1). */
  private async check(res: Response, method: string, what: string): Promise<void> {
    if (res.ok) return;
    const detail = await this.errorText(res);
    const message = `registry ${this.host} answered ${res.status} to ${method} ${what}${detail ? `: ${detail}` : ""}`;
    if (res.status >= 500) throw envError(message, { hint: `the registry ${this.host} is failing; retry later or check its logs` });
    if (res.status === 403) throw workError(message, { hint: `check your access to ${what} on ${this.host}; docker login ${this.host}` });
    throw workError(message);
  }

  /**
   * At most `limit` bytes of the answer's body, read before the request's deadline. More is
   * refused (`cut`: kept up to the limit) without reading the rest; a body that stops or
   * crawls is an environment error naming the registry, never a bare "operation timed out".
   */
  private async readBody(res: Response, limit: number, what: string, over: "refuse" | "cut" = "refuse"): Promise<Uint8Array> {
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (over === "refuse" && declared > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw this.tooLarge(what, limit);
    }
    const reader = res.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
        if (done) break;
        if (size + value.byteLength > limit) {
          void reader!.cancel().catch(() => undefined);
          if (over === "refuse") throw this.tooLarge(what, limit);
          chunks.push(value.subarray(0, limit - size));
          size = limit;
          break;
        }
        chunks.push(value);
        size += value.byteLength;
      }
    } catch (error) {
      if (isDtError(error)) throw error;
      // What arrived of an error body is still worth a line.
      if (over === "cut") return joined(chunks, size);
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const reason = error instanceof Error ? error.message : String(error);
      throw envError(
        timedOut
          ? `registry ${this.host} did not send all of ${what} within ${Math.round(this.timeoutMs / 1000)} s (${size} bytes came)`
          : `registry ${this.host} broke off ${what} after ${size} bytes: ${redact(reason, this.secrets())}`,
        { hint: `the registry ${this.host} is failing or too slow; retry later or check its logs`, cause: new Error(redact(reason, this.secrets())) },
      );
    }
    return joined(chunks, size);
  }

  private tooLarge(what: string, limit: number): DtError {
    return envError(`registry ${this.host} sent more than ${sizeText(limit)} for ${what}; dt reads at most that much`, {
      hint: `check that ${this.host} is a container registry (dt.yaml registry:), or ask its operators why it answers so much`,
    });
  }

  /** Reads what is left of an answer dt does not need (a little of it, so the connection is reusable). */
  private async discard(res: Response): Promise<void> {
    await this.readBody(res, BODY_LIMITS.error, "an answer", "cut").catch(() => undefined);
  }

  /** The registry's error JSON as one short line, scrubbed of credentials and control characters. */
  private async errorText(res: Response): Promise<string> {
    let text = "";
    try {
      text = new TextDecoder().decode(await this.readBody(res, BODY_LIMITS.error, "an error", "cut"));
    } catch {
      return "";
    }
    let line = "";
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown; detail?: unknown }[] };
      if (Array.isArray(parsed.errors)) {
        line = parsed.errors
          .map((e) => [e.code, e.message].filter((x) => typeof x === "string" && x).join(": "))
          .filter(Boolean)
          .join("; ");
      }
    } catch {
      // not JSON: fall through to the raw text
    }
    if (!line) line = text.replace(/\s+/g, " ").trim();
    if (line.length > 300) line = `${line.slice(0, 300)}...`;
    return printable(redact(line, this.secrets()));
  }
}

/** A client for `host`, finding credentials in the Docker config when the registry asks. */
export const registryClient = (host: string, options?: RegistryClientOptions) => new RegistryClient(host, options);

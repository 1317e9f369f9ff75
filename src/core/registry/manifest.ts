// What a registry holds for an image: manifests of the Docker and OCI media types, and the
// manifest list / OCI index dt writes over per-platform pushes.
import { sha256Hex } from "../base/random.ts";
import { usageError } from "../base/errors.ts";
import { isDigest } from "./names.ts";

export const MediaType = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;

/** Every manifest media type dt reads (schema 1 is not among them: it cannot be re-tagged). */
export const ALL_MANIFEST_TYPES: readonly string[] = [
  MediaType.dockerManifestList,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.ociManifest,
];

export interface Manifest {
  mediaType: string;
  /** `sha256:...`: Docker-Content-Digest, or the sha256 of `body` when the registry sends none. */
  digest: string;
  size: number;
  /** The exact bytes the registry holds; re-PUT these (never re-serialised JSON) to keep the digest. */
  body: Uint8Array;
  json: unknown;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface IndexEntry {
  digest: string;
  size: number;
  mediaType: string;
  platform: Platform;
}

/** sha256 digest of bytes, as the registry names content. */
export const sha256Digest = (bytes: Uint8Array | string) => `sha256:${sha256Hex(bytes)}`;

/** The manifest list / OCI index document for `entries` (bytes and media type). */
export function buildIndex(entries: readonly IndexEntry[], kind: "docker" | "oci"): { body: string; mediaType: string } {
  if (entries.length === 0) throw usageError("an image index needs at least one platform manifest");
  const mediaType = kind === "oci" ? MediaType.ociIndex : MediaType.dockerManifestList;
  const manifests = entries.map((e) => {
    if (!isDigest(e.digest)) throw usageError(`'${e.digest}' is not a manifest digest`);
    if (!Number.isInteger(e.size) || e.size <= 0) throw usageError(`manifest ${e.digest} has no valid size`);
    if (!e.platform.os || !e.platform.architecture) throw usageError(`manifest ${e.digest} has no platform os/architecture`);
    const platform: Platform = { architecture: e.platform.architecture, os: e.platform.os };
    if (e.platform.variant) platform.variant = e.platform.variant;
    return { mediaType: e.mediaType, digest: e.digest, size: e.size, platform };
  });
  return { body: JSON.stringify({ schemaVersion: 2, mediaType, manifests }, null, 2), mediaType };
}

/** The media type of a manifest answer: the Content-Type, unless it is a generic one. */
export function manifestType(header: string | null, declared: unknown): string {
  const type = header?.split(";")[0]?.trim();
  if (type && type !== "application/json" && type !== "application/octet-stream" && type !== "text/plain") return type;
  return typeof declared === "string" && declared ? declared : type || MediaType.dockerManifest;
}

import { realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { readText } from "../base/fs-util.ts";

export type Stage = "local" | "dev" | "prod";
export const STAGES: readonly Stage[] = ["local", "dev", "prod"];

/** The login name made into a tag component: lowercased, reduced to [a-z0-9_.-]. */
export function tagUser(raw = currentUser()): string {
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "")
    .replace(/^[.-]+/, "");
  return cleaned || "user";
}

function currentUser(): string {
  const fromEnv = process.env.USER || process.env.LOGNAME;
  if (fromEnv) return fromEnv;
  try {
    const name = userInfo().username;
    // Bun answers "unknown" where libc's lookup is unavailable; /etc/passwd still knows.
    if (name && name !== "unknown") return name;
  } catch {}
  const uid = process.getuid?.();
  const entry = readText("/etc/passwd")
    ?.split("\n")
    .find((line) => line.split(":")[2] === String(uid));
  return entry?.split(":")[0] ?? (uid === undefined ? "user" : `uid${uid}`);
}

export interface ImageRef {
  /** `REGISTRY/IMAGE` or `IMAGE` without a registry. */
  repository: string;
  stage: Stage;
  version: string;
  /** `local-USER-KEY-X.Y.Z`, `dev-X.Y.Z`, `prod-X.Y.Z`. */
  versionedTag: string;
  /** `local-USER-KEY`, `dev`, `prod`. */
  floatingTag: string;
}

/**
 * The workspace's share of a local tag: the first 8 hex digits of the sha256 of the root's
 * realpath, so two checkouts of one repo (`/a/orders`, `/b/orders`) never share local images.
 */
export function workspaceKey(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // A root that is gone still has a key; it just finds nothing.
  }
  // Bun's hasher: node:crypto costs more to load than `dt setenv` spends in all.
  return new Bun.CryptoHasher("sha256").update(real).digest("hex").slice(0, 8);
}

export const versioned = (ref: ImageRef) => `${ref.repository}:${ref.versionedTag}`;
export const floating = (ref: ImageRef) => `${ref.repository}:${ref.floatingTag}`;

/**
 * The one place image names and tags are made (SPEC: Images). Local tags need the workspace's
 * `key` (workspaceKey); dev and prod are shared by every checkout and have none.
 */
export function imageRef(options: { registry: string | null; image: string; stage: Stage; version: string; user?: string; key?: string }): ImageRef {
  const registry = options.registry?.replace(/\/+$/, "");
  const repository = registry ? `${registry}/${options.image}` : options.image;
  if (options.stage === "local" && !options.key) throw new Error("a local image ref needs the workspace key");
  const prefix = options.stage === "local" ? `local-${options.user ?? tagUser()}-${options.key}` : options.stage;
  return {
    repository,
    stage: options.stage,
    version: options.version,
    versionedTag: `${prefix}-${options.version}`,
    floatingTag: prefix,
  };
}

/** Labels of the SPEC on every image dt builds. */
export const LABEL = {
  version: "org.opencontainers.image.version",
  revision: "org.opencontainers.image.revision",
  source: "org.opencontainers.image.source",
  created: "org.opencontainers.image.created",
  title: "org.opencontainers.image.title",
  runnableDir: "dev.dt.runnable-dir",
  stage: "dev.dt.stage",
  contextDigest: "dev.dt.context-digest",
  /** The context's content, without mtimes: equal in every clone of one commit (context.ts: contentDigest). */
  contentDigest: "dev.dt.content-digest",
  workspace: "dev.dt.workspace",
  /** The login (as in local tags) that built a local image: local images are per user. */
  user: "dev.dt.user",
} as const;

/**
 * Whether a local image is `user`'s: its `dev.dt.user` label, or for an image built before that
 * label, its tags (`local-USER-KEY...` with this workspace's key).
 */
export function isUsersLocalImage(labels: Record<string, string>, tags: readonly string[], user: string, key: string): boolean {
  const labelled = labels[LABEL.user];
  if (labelled !== undefined) return labelled === user;
  return tags.some((t) => t.slice(t.lastIndexOf(":") + 1).startsWith(`local-${user}-${key}`));
}

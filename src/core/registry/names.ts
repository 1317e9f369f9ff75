// Repository names, tags and digests as the Distribution spec spells them: checked before a
// request is made, so a typo is a usage error and not a registry's 404 or 400.
import { usageError } from "../base/errors.ts";

const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

export const isDigest = (ref: string) => DIGEST_RE.test(ref);

export function validateTag(tag: string): void {
  if (!TAG_RE.test(tag)) throw usageError(`'${tag}' is not a valid image tag`);
}

/** Docker Hub's official images live under `library/`. */
export function normalizeRepo(host: string, repo: string): string {
  if (!REPO_RE.test(repo)) throw usageError(`'${repo}' is not a valid repository name`);
  const hub = host === "docker.io" || host === "index.docker.io";
  return hub && !repo.includes("/") ? `library/${repo}` : repo;
}

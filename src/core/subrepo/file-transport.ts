// Local URLs: git >= 2.38 refuses the file transport for submodules unless
// `protocol.file.allow=always`. dt passes `-c protocol.file.allow=always` to a `git submodule`
// call only when a URL that call may clone is a local path or `file://` (a `./`, `../` URL
// counts as local when the repo's origin is local or missing); never for remote URLs. Updates
// go one repo level at a time, so the decision is made from each repo's own `.gitmodules`.
import { gitRaw } from "../git/git.ts";

const FILE_ALLOW = ["-c", "protocol.file.allow=always"] as const;

export const isRelativeUrl = (url: string) => url.startsWith("./") || url.startsWith("../");

/** Whether git fetches `url` over the file transport. `base` resolves `./` and `../` URLs. */
export function isLocalUrl(url: string, base?: string | null): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return /^file:\/\//i.test(url);
  if (isRelativeUrl(url)) return base ? isLocalUrl(base) : true;
  return !/^[^/]*:/.test(url); // host:path (a colon before any slash) is ssh
}

/** The `-c` flags a `git submodule` call in `repoAbs` needs to clone `urls`: none for remote ones. */
export async function fileFlags(repoAbs: string, urls: readonly (string | null)[]): Promise<string[]> {
  let base: string | null | undefined;
  for (const url of urls) {
    if (!url) continue;
    if (isRelativeUrl(url) && base === undefined) {
      const r = await gitRaw(["config", "--get", "remote.origin.url"], repoAbs);
      base = r.code === 0 ? r.stdout.trim() : null;
    }
    if (isLocalUrl(url, base)) return [...FILE_ALLOW];
  }
  return [];
}

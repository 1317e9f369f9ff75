// Values from .gitmodules, git config or the command line that dt hands to git as a branch or
// remote. A value starting with "-" would be read as an option (`branch = -Cmain` made
// `git switch -Cmain` force-reset a local branch); so dt checks each by git's own rules for
// ref names (git-check-ref-format, with --branch's extras) before use, and passes it after
// `--end-of-options` as well.

/** Whether git accepts `name` as a branch name (`git check-ref-format --branch`, minus `@{-N}`). */
export function isBranchName(name: string): boolean {
  if (name === "" || name === "@" || name === "HEAD" || name.startsWith("-")) return false;
  if (name.startsWith("/") || name.endsWith("/") || name.endsWith(".") || name.includes("//")) return false;
  if (name.includes("..") || name.includes("@{") || /[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}

/** Whether `name` is a usable remote name (what git accepts in `refs/remotes/NAME/...`). */
export const isRemoteName = (name: string) => name === "." || (isBranchName(name) && !name.includes("/"));

// One file, dir or link of a build context: what collecting produces and the tar writer packs.
export type EntryType = "file" | "dir" | "symlink";

export interface ContextEntry {
  /** POSIX path relative to the context dir, without a trailing slash. */
  path: string;
  type: EntryType;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Bytes, files only (0 otherwise). */
  size: number;
  mtimeMs: number;
  /** Symlinks: the target exactly as stored in the link. */
  linkTarget?: string;
  /** Where a file-system entry lives; absent for injected templates. */
  source?: string;
  /** Injected templates: their bytes. */
  content?: Uint8Array;
}

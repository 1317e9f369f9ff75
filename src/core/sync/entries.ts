import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type DtError, usageError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { owningRepo, type SubRepo } from "../workspace/workspace.ts";

const toPosix = (p: string) => (sep === "/" ? p : p.split(sep).join("/"));
const inside = (base: string, abs: string) => {
  const rel = relative(base, abs);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
};

/**
 * Where `abs` really leads: every symlink followed, also a dangling one and one whose target
 * does not exist yet (the part that does not exist is taken literally).
 */
export function resolveReal(abs: string, depth = 0): string {
  if (depth > 40) throw usageError(`too many levels of symbolic links at ${abs}`);
  try {
    return realpathSync(abs);
  } catch {
    // Some part does not exist: resolve the parent, then look at this component alone.
  }
  const parent = dirname(abs);
  if (parent === abs) return abs;
  const realParent = resolveReal(parent, depth + 1);
  const here = join(realParent, basename(abs));
  try {
    if (lstatSync(here).isSymbolicLink()) return resolveReal(resolve(realParent, readlinkSync(here)), depth + 1);
  } catch {
    // Does not exist: taken literally.
  }
  return here;
}

export interface SyncEntry {
  /** As written in dt.yaml, and its index in sync.files. */
  raw: string;
  index: number;
  /** Normalised, relative to the workspace root and to the source sub-repo. */
  path: string;
  /** Absolute path written here (symlinks resolved). */
  target: string;
  /** Absolute path read in the source sub-repo (symlinks resolved). */
  source: string;
}

export interface PathContext {
  root: string;
  from: string;
  fromReal: string;
  subRepos: readonly SubRepo[];
  /** `dt.yaml:LINE:COL` of `sync.files[i]`, or of a key below it (`"to", 2`) when given. */
  where: (i: number, ...below: (string | number)[]) => string | undefined;
  /** Links dt wrote (path -> link text, from the lock): a copy may replace them, not follow them. */
  dtLinks?: ReadonlyMap<string, string>;
}

/** A relative path's normalised form, or why it is none. */
export function normalisePath(raw: string): { path: string } | { why: string } {
  if (raw.trim() === "" || raw.includes("\0")) return { why: "is not a file path" };
  if (isAbsolute(raw)) return { why: "is absolute: it must be relative to the workspace root" };
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { why: "leaves the workspace ('..' is not allowed)" };
  if (segments.length === 0) return { why: "names the workspace root, not a file" };
  return { path: segments.join("/") };
}

/** Why dt must not write at `rel` (relative to the root), or null. */
export function forbiddenHere(rel: string, subRepos: readonly SubRepo[]): string | null {
  const parts = rel.split("/");
  if (parts.includes(".git")) return "is inside a .git directory";
  if (parts[0] === ".dt") return "is inside .dt/, which is dt's own";
  const repo = owningRepo(rel, subRepos);
  return repo === "." ? null : `is inside the sub-repo ${repo}: dt sync writes only the workspace root's own files`;
}

/**
 * Where a destination is written. A copy follows symlinks (as any writer would), except a link
 * dt wrote itself, which a copy replaces; a link replaces whatever is at its own path, so only
 * its directory is resolved. Returns the absolute path, or why it is refused.
 */
export function destinationOf(path: string, mode: "copy" | "link", ctx: PathContext): { target: string } | { why: string } {
  const direct = forbiddenHere(path, ctx.subRepos);
  if (direct) return { why: direct };
  const abs = join(ctx.root, path);
  const keepLast = mode === "link" || isDtLink(abs, ctx.dtLinks?.get(path));
  const target = keepLast ? join(resolveReal(dirname(abs)), basename(abs)) : resolveReal(abs);
  if (!inside(ctx.root, target)) return { why: `resolves through a symlink to ${target}, outside the workspace ${ctx.root}` };
  const resolved = forbiddenHere(toPosix(relative(ctx.root, target)), ctx.subRepos);
  if (resolved) return { why: `resolves through a symlink to ${target}, which ${resolved}` };
  return { target };
}

function isDtLink(abs: string, text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    return readlinkSync(abs) === text;
  } catch {
    return false;
  }
}

/** The real path of a file of the source sub-repo, or why it is refused. */
export function sourceOf(path: string, ctx: PathContext): { source: string } | { why: string } {
  if (path.split("/").includes(".git")) return { why: "is inside a .git directory" };
  const source = resolveReal(join(ctx.root, ctx.from, path));
  if (!inside(ctx.fromReal, source)) return { why: `in ${ctx.from} resolves through a symlink to ${source}, outside the sub-repo ${ctx.from}` };
  return { source };
}

const PATH_HINT = "list files by their path relative to the workspace root, inside it; edit sync.files in dt.yaml";

/** Checks one plain `sync.files` entry (copied to the same path): inside the workspace, not through a symlink that leaves it. */
export function checkEntry(raw: string, i: number, ctx: PathContext): SyncEntry | DtError {
  const refuse = (why: string) => usageError(`sync.files[${i}] ${JSON.stringify(raw)} ${why}`, { where: ctx.where(i), hint: PATH_HINT });
  const normal = normalisePath(raw);
  if ("why" in normal) return refuse(normal.why);
  const dest = destinationOf(normal.path, "copy", ctx);
  if ("why" in dest) return refuse(dest.why);
  const src = sourceOf(normal.path, ctx);
  if ("why" in src) return refuse(src.why);
  return { raw, index: i, path: normal.path, target: dest.target, source: src.source };
}

/** `dt.yaml:LINE:COL` of `sync.files[i]` (or of a key below it), for messages that name the entry. */
export function entryLocator(root: string, fallback: string | undefined): (i: number, ...below: (string | number)[]) => string | undefined {
  const text = readText(join(root, "dt.yaml"));
  if (text === undefined) return () => fallback;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return (i, ...below) => {
    // The deepest node that exists: `to: x` written as a string has no `to[0]`.
    for (let n = below.length; n >= 0; n--) {
      const node = doc.getIn(["sync", "files", i, ...below.slice(0, n)], true) as { range?: [number, number, number] } | undefined;
      if (!node?.range) continue;
      const pos = lineCounter.linePos(node.range[0]);
      return `dt.yaml:${pos.line}:${pos.col}`;
    }
    return fallback;
  };
}

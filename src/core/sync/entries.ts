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
  where: (i: number) => string | undefined;
}

/** Checks one `sync.files` entry: inside the workspace, not through a symlink that leaves it. */
export function checkEntry(raw: string, i: number, ctx: PathContext): SyncEntry | DtError {
  const refuse = (why: string) =>
    usageError(`sync.files[${i}] ${JSON.stringify(raw)} ${why}`, {
      where: ctx.where(i),
      hint: "list files by their path relative to the workspace root, inside it; edit sync.files in dt.yaml",
    });
  if (raw.trim() === "" || raw.includes("\0")) return refuse("is not a file path");
  if (isAbsolute(raw)) return refuse("is absolute: it must be relative to the workspace root");
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return refuse("leaves the workspace ('..' is not allowed)");
  if (segments.length === 0) return refuse("names the workspace root, not a file");
  const path = segments.join("/");
  const where = (rel: string) => {
    const parts = rel.split("/");
    if (parts.includes(".git")) return "is inside a .git directory";
    if (parts[0] === ".dt") return "is inside .dt/, which is dt's own";
    const repo = owningRepo(rel, ctx.subRepos);
    return repo === "." ? null : `is inside the sub-repo ${repo}: dt sync writes only the workspace root's own files`;
  };
  const direct = where(path);
  if (direct) return refuse(direct);
  const target = resolveReal(join(ctx.root, path));
  if (!inside(ctx.root, target)) return refuse(`resolves through a symlink to ${target}, outside the workspace ${ctx.root}`);
  const resolved = where(toPosix(relative(ctx.root, target)));
  if (resolved) return refuse(`resolves through a symlink to ${target}, which ${resolved}`);
  const source = resolveReal(join(ctx.root, ctx.from, path));
  if (!inside(ctx.fromReal, source)) {
    return refuse(`in ${ctx.from} resolves through a symlink to ${source}, outside the sub-repo ${ctx.from}`);
  }
  return { raw, index: i, path, target, source };
}

/** `dt.yaml:LINE:COL` of `sync.files[i]`, for messages that name the entry. */
export function entryLocator(root: string, fallback: string | undefined): (i: number) => string | undefined {
  const text = readText(join(root, "dt.yaml"));
  if (text === undefined) return () => fallback;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return (i) => {
    const node = doc.getIn(["sync", "files", i], true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) return fallback;
    const pos = lineCounter.linePos(node.range[0]);
    return `dt.yaml:${pos.line}:${pos.col}`;
  };
}


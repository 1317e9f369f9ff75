import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { LineCounter, parseDocument, stringify } from "yaml";
import { loadConfig } from "../config/config.ts";
import { DtError, DtErrors, ExitCode, envError, usageError, workError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { git } from "../git/git.ts";
import { unifiedDiff } from "../base/text-diff.ts";
import { findSubRepos, findWorkspaceRoot, owningRepo, type SubRepo } from "../workspace/workspace.ts";

// ---------------------------------------------------------------- the three-way decision

/** What a synced file is: its content hash and whether it is executable (the mode git keeps). */
export interface FileState {
  sha256: string;
  executable: boolean;
}

export type SyncStatus = "in-sync" | "added" | "updated" | "kept" | "conflict" | "deleted-upstream" | "deleted";

export interface Decision {
  status: SyncStatus;
  /** Write the source's content here. */
  write: boolean;
  /** Delete the file here (deleted upstream, with --force). */
  remove: boolean;
  /** --force changed the outcome (a customised or conflicting file was overwritten or deleted). */
  forced: boolean;
  /** Why, in a few words, when the status alone does not say it. */
  detail: string | null;
}

const same = (a: FileState | null, b: FileState | null) =>
  a === null || b === null ? a === b : a.sha256 === b.sha256 && a.executable === b.executable;

/**
 * The three-way decision of one file. `lock` is the file as dt sync last wrote it (null: never),
 * `local` the file here, `source` the file in the source sub-repo (null: absent). A file changed
 * here since the last sync is customised; it is overwritten only with `force`.
 */
export function decide(lock: FileState | null, local: FileState | null, source: FileState | null, force: boolean): Decision {
  const result = (status: SyncStatus, detail: string | null = null, op: Partial<Decision> = {}): Decision => ({
    status,
    write: false,
    remove: false,
    forced: false,
    detail,
    ...op,
  });
  if (source === null) {
    if (local === null) return result("deleted-upstream", "gone here too");
    return force
      ? result("deleted", "deleted upstream", { remove: true, forced: !same(local, lock) })
      : result("deleted-upstream", "kept here; --force deletes it");
  }
  if (same(local, source)) return result("in-sync");
  const localChanged = !same(local, lock) || lock === null;
  const upstreamChanged = !same(source, lock);
  if (local === null && lock === null) return result("added", null, { write: true });
  if (!localChanged) return result("updated", null, { write: true });
  const here = local === null ? "deleted here" : lock === null ? "differs here and was never synced" : "changed here";
  if (force) return result(local === null ? "added" : "updated", `${here}; overwritten by --force`, { write: true, forced: true });
  if (!upstreamChanged) return result("kept", `customised: ${here}; --force overwrites`);
  return result("conflict", `${here} and upstream; --force takes upstream's`);
}

// ---------------------------------------------------------------- the lock

export const LOCK_PATH = ".dt/sync.lock";

export interface SyncLock {
  from: string;
  commit: string;
  /** The source had uncommitted changes to synced files when this lock was written. */
  dirty: boolean;
  files: Record<string, FileState>;
}

const LOCK_HEADER = `# Written by 'dt sync'; commit it, do not edit it.
# What dt sync last copied from the source sub-repo: its commit, and each file's hash and mode
# as written here. A file that no longer matches was changed here, and dt sync keeps it.
`;

/** The lock's text: a header, then keys and files in a fixed order, so equal locks are equal bytes. */
export function formatLock(lock: SyncLock): string {
  const files = Object.fromEntries(
    Object.keys(lock.files)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((path) => [path, { sha256: lock.files[path]!.sha256, executable: lock.files[path]!.executable }]),
  );
  const body = { version: 1, from: lock.from, commit: lock.commit, ...(lock.dirty ? { dirty: true } : {}), files };
  return LOCK_HEADER + stringify(body, { lineWidth: 0, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

export function parseLock(text: string, file = LOCK_PATH): SyncLock {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const bad = (what: string, offset = 0) =>
    usageError(`${what}`, {
      where: `${file}:${lineCounter.linePos(offset).line}`,
      hint: `restore it with 'git checkout -- ${file}', or delete it to start over (differing files then count as conflicts)`,
    });
  if (doc.errors.length > 0) throw bad(`invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, doc.errors[0]!.pos[0]);
  const data = doc.toJS() as Record<string, unknown> | null;
  if (!data || typeof data !== "object") throw bad("not a dt sync lock");
  if (data.version !== 1) throw bad(`unsupported lock version ${JSON.stringify(data.version)} (this dt reads version 1)`);
  const files: Record<string, FileState> = {};
  const raw = data.files ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw bad("files: expected a mapping");
  for (const [path, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = entry as Record<string, unknown> | null;
    if (!e || typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256) || typeof e.executable !== "boolean") {
      throw bad(`files.${path}: expected sha256 (64 hex digits) and executable (true or false)`);
    }
    files[path] = { sha256: e.sha256, executable: e.executable };
  }
  return {
    from: typeof data.from === "string" ? data.from : "",
    commit: typeof data.commit === "string" ? data.commit : "",
    dirty: data.dirty === true,
    files,
  };
}

// ---------------------------------------------------------------- paths

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

interface PathContext {
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
function entryLocator(root: string, fallback: string | undefined): (i: number) => string | undefined {
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

// ---------------------------------------------------------------- files

interface Content {
  bytes: Buffer;
  state: FileState;
}

function readContent(abs: string, label: string): Content | null {
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    return null;
  }
  if (!stat.isFile()) throw usageError(`${label} is not a regular file`, { hint: "sync.files lists files, not directories" });
  const bytes = readFileSync(abs);
  return { bytes, state: { sha256: createHash("sha256").update(bytes).digest("hex"), executable: (stat.mode & 0o100) !== 0 } };
}

const isBinary = (b: Buffer) => b.subarray(0, 8000).includes(0);

/** A unified diff of the file here (old) against upstream's (new), git-style for modes and binaries. */
export function fileDiff(path: string, local: Content | null, source: Content | null, upstream: string): string {
  const from = local ? `a/${path}\t(here)` : "/dev/null";
  const to = source ? `b/${path}\t(${upstream})` : "/dev/null";
  const modes =
    local && source && local.state.executable !== source.state.executable
      ? `old mode ${local.state.executable ? "100755" : "100644"}\nnew mode ${source.state.executable ? "100755" : "100644"}\n`
      : "";
  if (local && source && local.state.sha256 === source.state.sha256) return `--- ${from}\n+++ ${to}\n${modes}`;
  if ((local && isBinary(local.bytes)) || (source && isBinary(source.bytes))) {
    return `${modes}Binary files ${local ? `a/${path}` : "/dev/null"} and ${source ? `b/${path}` : "/dev/null"} differ\n`;
  }
  return modes + unifiedDiff(local?.bytes.toString("utf8") ?? "", source?.bytes.toString("utf8") ?? "", { from, to });
}

// ---------------------------------------------------------------- dt sync

export interface SyncOptions {
  cwd: string;
  /** Change nothing; the result is not ok if any file differs from its source. */
  check?: boolean;
  force?: boolean;
  /** Change nothing; report what a sync would do. */
  dryRun?: boolean;
}

export interface SyncFileResult {
  path: string;
  status: SyncStatus;
  forced: boolean;
  /** The file here was written or deleted by this run. */
  changed: boolean;
  detail: string | null;
  /** Local (old) vs upstream (new) when they differ, else null. */
  diff: string | null;
}

export interface SyncResult {
  root: string;
  from: string | null;
  commit: string | null;
  /** Synced files with uncommitted changes in the source sub-repo (their content is not the commit's). */
  dirty: string[];
  mode: "sync" | "check" | "dry-run";
  files: SyncFileResult[];
  lock: { path: string; written: boolean };
  /** sync/dry-run: no conflict left; check: every file is as its source. */
  ok: boolean;
}

export async function runSync(options: SyncOptions): Promise<SyncResult> {
  const mode = options.check ? "check" : options.dryRun ? "dry-run" : "sync";
  if (options.check && options.force) throw usageError("--check changes nothing, so --force does not go with it", { hint: "drop one of the two flags" });
  const force = Boolean(options.force);
  const root = findWorkspaceRoot(options.cwd);
  const resolved = loadConfig(root, ".");
  const { from: fromRaw, files: list } = resolved.config.sync;
  const empty: SyncResult = { root, from: fromRaw, commit: null, dirty: [], mode, files: [], lock: { path: LOCK_PATH, written: false }, ok: true };
  if (list.length === 0) return empty;
  const where = entryLocator(root, resolved.sources["sync.files"]);
  if (!fromRaw) {
    throw usageError("sync.files is set but sync.from is not: dt sync needs the sub-repo to copy from", {
      where: resolved.sources["sync.files"],
      hint: "add 'from: SUBREPO' under sync: in dt.yaml (see 'dt ls' for the sub-repos)",
    });
  }
  const from = fromRaw.split("/").filter((s) => s !== "" && s !== ".").join("/");
  const subRepos = findSubRepos(root);
  const sub = subRepos.find((s) => s.path === from);
  if (!sub) {
    throw usageError(`sync.from ${JSON.stringify(fromRaw)} is not a sub-repo of this workspace`, {
      where: resolved.sources["sync.from"],
      hint: subRepos.length ? `use one of: ${subRepos.map((s) => s.path).join(", ")}` : "add the sub-repo first: dt subrepo add URL PATH",
    });
  }
  if (!sub.initialised) {
    throw envError(`the sync source ${from} is not checked out`, { hint: `git submodule update --init ${from}` });
  }
  const fromAbs = join(root, from);
  const ctx: PathContext = { root, from, fromReal: resolveReal(fromAbs), subRepos, where };

  const entries: SyncEntry[] = [];
  const problems: DtError[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const entry = checkEntry(raw, i, ctx);
    if (entry instanceof DtError) problems.push(entry);
    else if (!seen.has(entry.path)) {
      seen.add(entry.path);
      entries.push(entry);
    }
  });
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new DtErrors(problems);

  const lockText = readText(join(root, LOCK_PATH));
  const lock = lockText === undefined ? null : parseLock(lockText);
  const commit = (await git(["rev-parse", "HEAD"], fromAbs, ExitCode.environment)).trim();
  const upstream = `${from}@${commit.slice(0, 12)}`;

  const contents = entries.map((entry) => {
    const local = readContent(entry.target, entry.path);
    const source = readContent(entry.source, `${from}/${entry.path}`);
    if (source === null && !lock?.files[entry.path]) {
      problems.push(
        usageError(`sync.files[${entry.index}] ${JSON.stringify(entry.raw)} does not exist in ${from} (at ${commit.slice(0, 12)})`, {
          where: where(entry.index),
          hint: `check the name against 'git -C ${from} ls-files', or remove it from sync.files`,
        }),
      );
    }
    return { entry, local, source };
  });
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new DtErrors(problems);
  const dirty = await dirtyFiles(fromAbs, entries.map((e) => e.path));

  const writes = mode === "sync";
  const next: Record<string, FileState> = {};
  const results: SyncFileResult[] = [];
  let failure: unknown;
  for (const { entry, local, source } of contents) {
    const old = lock?.files[entry.path] ?? null;
    const d = decide(old, local?.state ?? null, source?.state ?? null, force);
    const differs = !same(local?.state ?? null, source?.state ?? null);
    let changed = false;
    if (writes && !failure) {
      try {
        if (d.write && source) writeFileAtomic(entry.target, source.bytes, source.state.executable ? 0o755 : 0o644);
        if (d.remove) rmSync(entry.target, { force: true });
        changed = d.write || d.remove;
      } catch (cause) {
        failure = workError(`could not ${d.remove ? "delete" : "write"} ${entry.path}: ${(cause as Error).message}`, { cause });
      }
    }
    // The lock remembers each file as written (or found equal to upstream's); a file left as
    // it is keeps its old entry, so it stays customised or conflicting on the next run.
    let after = old;
    if (changed) after = d.remove ? null : source!.state;
    else if (d.status === "in-sync") after = source!.state;
    else if (d.status === "deleted-upstream" && !local) after = null;
    if (after) next[entry.path] = after;
    results.push({ path: entry.path, status: d.status, forced: d.forced, changed, detail: d.detail, diff: differs ? fileDiff(entry.path, local, source, upstream) : null });
  }

  const newLock: SyncLock = { from, commit, dirty: dirty.length > 0, files: next };
  const lockChanged = !lock || lock.from !== from || !sameFiles(lock.files, next);
  let lockWritten = false;
  if (writes && lockChanged) {
    writeFileAtomic(join(root, LOCK_PATH), formatLock(newLock));
    lockWritten = true;
  }
  if (failure) throw failure;
  const ok = mode === "check" ? results.every((r) => r.diff === null) : results.every((r) => r.status !== "conflict");
  return { root, from, commit, dirty, mode, files: results, lock: { path: LOCK_PATH, written: lockWritten }, ok };
}

function sameFiles(a: Record<string, FileState>, b: Record<string, FileState>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => same(a[k] ?? null, b[k] ?? null));
}

/** The synced files that have uncommitted changes in the source sub-repo. */
async function dirtyFiles(repo: string, paths: string[]): Promise<string[]> {
  const out = await git(["status", "--porcelain", "-z", "--untracked-files=all", "--", ...paths.map((p) => `:(literal)${p}`)], repo, ExitCode.environment);
  const wanted = new Set(paths);
  return [...new Set(out.split("\0").map((e) => e.slice(3)))].filter((p) => wanted.has(p)).sort();
}

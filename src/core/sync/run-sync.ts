import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../config/config.ts";
import { DtError, DtErrors, ExitCode, envError, usageError, workError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { git } from "../git/git.ts";
import { checkStateDir } from "../workspace/state-dir.ts";
import { findSubRepos, findWorkspaceRoot } from "../workspace/workspace.ts";
import { decide, same, type FileState, type SyncStatus } from "./decide.ts";
import { checkEntry, entryLocator, resolveReal, type PathContext, type SyncEntry } from "./entries.ts";
import { fileDiff, readContent } from "./file-content.ts";
import { formatLock, LOCK_PATH, parseLock, type SyncLock } from "./lock.ts";

interface SyncOptions {
  cwd: string;
  /** Change nothing; the result is not ok if any file differs from its source. */
  check?: boolean;
  force?: boolean;
  /** Change nothing; report what a sync would do. */
  dryRun?: boolean;
}

interface SyncFileResult {
  path: string;
  status: SyncStatus;
  forced: boolean;
  /** The file here was written or deleted by this run. */
  changed: boolean;
  detail: string | null;
  /** Local (old) vs upstream (new) when they differ, else null. */
  diff: string | null;
}

interface SyncResult {
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
  // The lock lives in .dt/: a link there would have it read from and written to elsewhere.
  checkStateDir(root);
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

import { join } from "node:path";
import { loadConfig } from "../config/config.ts";
import { DtErrors, ExitCode, envError, usageError, type DtError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { git } from "../git/git.ts";
import { checkStateDir } from "../workspace/state-dir.ts";
import { findSubRepos, findWorkspaceRoot } from "../workspace/workspace.ts";
import { same, type FileState } from "./decide.ts";
import { entryLocator, resolveReal, type PathContext } from "./entries.ts";
import { readContent } from "./file-content.ts";
import { formatLock, LOCK_PATH, parseLock, type SyncLock } from "./lock.ts";
import { type Content } from "./file-content.ts";
import { applyTarget, inspectTarget, type SyncFileResult } from "./sync-target.ts";
import { planTargets } from "./targets.ts";

interface SyncOptions {
  cwd: string;
  /** Change nothing; the result is not ok if any file differs from its source. */
  check?: boolean;
  force?: boolean;
  /** Change nothing; report what a sync would do. */
  dryRun?: boolean;
}

interface SyncResult {
  root: string;
  from: string | null;
  commit: string | null;
  /** Synced files with uncommitted changes in the source sub-repo (their content is not the commit's). */
  dirty: string[];
  mode: "sync" | "check" | "dry-run";
  files: SyncFileResult[];
  /** Not errors: e.g. a destination glob that matches no directory. */
  warnings: string[];
  lock: { path: string; written: boolean };
  /** sync/dry-run: no conflict left; check: every file is as its source. */
  ok: boolean;
}

const throwAll = (problems: DtError[]) => {
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new DtErrors(problems);
};

export async function runSync(options: SyncOptions): Promise<SyncResult> {
  const mode = options.check ? "check" : options.dryRun ? "dry-run" : "sync";
  if (options.check && options.force) throw usageError("--check changes nothing, so --force does not go with it", { hint: "drop one of the two flags" });
  const force = Boolean(options.force);
  const root = findWorkspaceRoot(options.cwd);
  // The lock lives in .dt/: a link there would have it read from and written to elsewhere.
  checkStateDir(root);
  const resolved = loadConfig(root, ".");
  const { from: fromRaw, files: list } = resolved.config.sync;
  const empty: SyncResult = { root, from: fromRaw, commit: null, dirty: [], mode, files: [], warnings: [], lock: { path: LOCK_PATH, written: false }, ok: true };
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
  const lockText = readText(join(root, LOCK_PATH));
  const lock = lockText === undefined ? null : parseLock(lockText);
  const fromAbs = join(root, from);
  const ctx: PathContext = { root, from, fromReal: resolveReal(fromAbs), subRepos, where, dtLinks: new Map(Object.entries(lock?.links ?? {})) };
  const plan = planTargets(list, ctx);
  throwAll(plan.problems);
  const commit = (await git(["rev-parse", "HEAD"], fromAbs, ExitCode.environment)).trim();
  const upstream = `${from}@${commit.slice(0, 12)}`;

  // Each source once, however many destinations share it.
  const sources = new Map<string, Content | null>();
  for (const t of plan.targets) if (!sources.has(t.sourcePath)) sources.set(t.sourcePath, readContent(t.source, `${from}/${t.sourcePath}`));
  // A source that vanished is "deleted upstream" for an entry dt wrote before, else a typo.
  const recordedHere = (path: string) => lock !== null && (Object.hasOwn(lock.files, path) || Object.hasOwn(lock.links, path));
  const missing = new Map<number, string>();
  for (const t of plan.targets) if (sources.get(t.sourcePath) === null) missing.set(t.index, t.sourcePath);
  const problems: DtError[] = [];
  for (const [index, sourcePath] of missing) {
    if (plan.targets.some((t) => t.index === index && recordedHere(t.path))) continue;
    const plain = typeof list[index] === "string";
    problems.push(
      usageError(`sync.files[${index}]${plain ? "" : ".from"} ${JSON.stringify(sourcePath)} does not exist in ${from} (at ${commit.slice(0, 12)})`, {
        where: plain ? where(index) : where(index, "from"),
        hint: `check the name against 'git -C ${from} ls-files', or remove it from sync.files`,
      }),
    );
  }
  throwAll(problems);
  const dirty = await dirtyFiles(fromAbs, [...sources.keys()]);

  // Everything is read and decided before anything is written: a destination that no sync may
  // replace (a directory where a file goes) stops the run with nothing half done.
  const inspected = plan.targets.map((t) => inspectTarget(t, sources.get(t.sourcePath) ?? null, lock, force, upstream));
  const next: Pick<SyncLock, "files" | "links"> = { files: {}, links: {} };
  const results: SyncFileResult[] = [];
  let failure: unknown;
  for (const x of inspected) {
    const applied = applyTarget(x, sources.get(x.target.sourcePath) ?? null, mode === "sync" && !failure);
    failure ??= applied.failure;
    if (applied.after.file) next.files[x.target.path] = applied.after.file;
    if (applied.after.link) next.links[x.target.path] = applied.after.link;
    results.push(applied.result);
  }

  const newLock: SyncLock = { from, commit, dirty: dirty.length > 0, ...next };
  const lockChanged = !lock || lock.from !== from || !sameFiles(lock.files, next.files) || !sameLinks(lock.links, next.links);
  let lockWritten = false;
  if (mode === "sync" && lockChanged) {
    writeFileAtomic(join(root, LOCK_PATH), formatLock(newLock));
    lockWritten = true;
  }
  if (failure) throw failure;
  const ok = mode === "check" ? results.every((r) => !r.differs) : results.every((r) => r.status !== "conflict");
  return { root, from, commit, dirty, mode, files: results, warnings: plan.warnings, lock: { path: LOCK_PATH, written: lockWritten }, ok };
}

function sameFiles(a: Record<string, FileState>, b: Record<string, FileState>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => same(a[k] ?? null, b[k] ?? null));
}

function sameLinks(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The synced files that have uncommitted changes in the source sub-repo. */
async function dirtyFiles(repo: string, paths: string[]): Promise<string[]> {
  const out = await git(["status", "--porcelain", "-z", "--untracked-files=all", "--", ...paths.map((p) => `:(literal)${p}`)], repo, ExitCode.environment);
  const wanted = new Set(paths);
  return [...new Set(out.split("\0").map((e) => e.slice(3)))].filter((p) => wanted.has(p)).sort();
}

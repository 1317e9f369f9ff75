// The files of a workspace as content ids, for the test-result cache, without reading most of
// them: git's index already holds the object id of every tracked file, and `git ls-files -m`
// checks each against its stat (and its bytes where the stat is not conclusive). So one
// `git ls-files` per repo gives the ids of the unchanged tracked files, and only untracked,
// modified and linked files are read here, hashed as git hashes a blob: a file has one id
// whether it is committed, staged or new, in any clone.
import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { gitRaw } from "../git/git.ts";
import type { Workspace } from "../workspace/workspace.ts";

/** A listed path: git's id when git vouches for it, else read on first use. */
interface Listed {
  /** `x` executable, `-` not (the only mode git keeps), `c` a sub-repo's commit. */
  kind: "x" | "-" | "c";
  oid: string | undefined;
  /** A link, an untracked file or one git saw change: read it. */
  read: boolean;
}

/** A set of paths the tests may see: everything below `path` but what is below an `exclude`. */
export interface Scope {
  /** Workspace-relative, `.` for all. */
  path: string;
  exclude: readonly string[];
}

export interface FileIndex {
  readonly root: string;
  /** The scope's files and sub-repo commits, sorted: [path, id]. */
  entries(scope: Scope): [string, string][];
  /** A digest of `entries(scope)`, computed once per scope. */
  digest(scope: Scope): string;
  /** The id of one path (listed or not: an ignored file is read), or undefined when there is none. */
  idOf(path: string): string | undefined;
}

/**
 * dt's own state and Python's caches change under every run without changing what a test sees;
 * they would make every key new if a repo does not ignore them.
 */
function neverAnInput(path: string): boolean {
  return path === ".dt" || path.startsWith(".dt/") || /(^|\/)(__pycache__|\.pytest_cache)(\/|$)/.test(path) || path.endsWith(".pyc");
}

/**
 * The index of `ws`. After a scan that read each repo's status (`ws.changedFiles`), one
 * `git ls-files -s --recurse-submodules` gives every other file's id: git then reads indexes
 * only, and the working trees are walked once, by that status. Without it, each repo is listed
 * with `ls-files -s -t -c -m -d -o` (in parallel), which walks them itself.
 */
export async function indexWorkspace(ws: Workspace): Promise<FileIndex> {
  const listed = new Map<string, Listed>();
  const ids = { sha256: false };
  const commits = new Map(ws.subRepos.map((s) => [s.path, s.commit]));
  const add = (path: string, tag: string, mode: string | undefined, oid: string | undefined) => {
    if (path.endsWith("/") || neverAnInput(path)) return; // a nested repo git does not list file by file
    if (oid?.length === 64) ids.sha256 = true;
    if (mode === "160000") {
      // A sub-repo: its checked-out commit, which may differ from the one its parent recorded.
      listed.set(path, { kind: "c", oid: commits.get(path) ?? oid, read: false });
      return;
    }
    const seen = listed.get(path);
    if (seen) seen.read ||= tag !== "H";
    else listed.set(path, { kind: mode === "100755" ? "x" : "-", oid, read: tag !== "H" || mode === "120000" || mode === undefined });
  };
  if (ws.changedFiles) {
    const r = await gitRaw(["ls-files", "-z", "-s", "--recurse-submodules"], ws.root);
    if (r.code !== 0) throw new Error(`git ls-files failed in ${ws.root}: ${r.stderr.trim()}`);
    for (const record of r.stdout.split("\0")) parseStaged(record, "", "H", add);
    for (const path of ws.changedFiles) add(path, "C", undefined, undefined);
    // Initialised sub-repos are listed by their files; their commits go in too.
    for (const s of ws.subRepos) if (s.initialised) add(s.path, "H", "160000", s.commit ?? undefined);
  } else {
    const repos = [".", ...ws.subRepos.filter((s) => s.initialised).map((s) => s.path)];
    const outputs = await Promise.all(
      repos.map(async (repo) => {
        const cwd = repo === "." ? ws.root : join(ws.root, repo);
        const r = await gitRaw(["ls-files", "-z", "-s", "-t", "-c", "-m", "-d", "-o", "--exclude-standard"], cwd);
        if (r.code !== 0) throw new Error(`git ls-files failed in ${cwd}: ${r.stderr.trim()}`);
        return { prefix: repo === "." ? "" : `${repo}/`, text: r.stdout };
      }),
    );
    for (const { prefix, text } of outputs) {
      for (const record of text.split("\0")) {
        // `-t` tags: H cached, C changed, R removed, ? untracked.
        if (record.startsWith("? ")) add(prefix + record.slice(2), "?", undefined, undefined);
        else if (record) parseStaged(record.slice(2), prefix, record[0]!, add);
      }
    }
  }
  return new Index(ws.root, listed, ids.sha256 ? "sha256" : "sha1");
}

/** `MODE OID STAGE\tPATH`, as `ls-files -s` prints an index entry. */
function parseStaged(record: string, prefix: string, tag: string, add: (path: string, tag: string, mode: string, oid: string) => void): void {
  const tab = record.indexOf("\t");
  if (tab < 0) return;
  const [mode, oid] = record.slice(0, tab).split(" ");
  if (mode && oid) add(prefix + record.slice(tab + 1), tag, mode, oid);
}

class Index implements FileIndex {
  private readonly paths: string[];
  /** By position in `paths`: the id, null for a file that is gone, undefined until read. */
  private readonly ids: (string | null | undefined)[];
  /** Paths not listed (an ignored conftest.py above a dir) that were asked about. */
  private readonly unlisted = new Map<string, string | null>();
  private readonly digests = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly listed: Map<string, Listed>,
    private readonly algorithm: "sha1" | "sha256",
  ) {
    this.paths = [...listed.keys()].sort();
    // Most ids are git's, known now; the rest are read when a scope first needs them.
    this.ids = this.paths.map((path) => {
      const entry = listed.get(path)!;
      if (entry.read) return undefined;
      return entry.kind === "c" ? `commit:${entry.oid}` : `${entry.kind}${entry.oid}`;
    });
  }

  entries(scope: Scope): [string, string][] {
    const out: [string, string][] = [];
    for (const [from, to] of this.ranges(scope)) {
      for (let i = from; i < to; i++) {
        const id = this.idAt(i);
        if (id !== null) out.push([this.paths[i]!, id]);
      }
    }
    return out;
  }

  digest(scope: Scope): string {
    const memo = `${scope.path}\0${scope.exclude.join("\0")}`;
    let digest = this.digests.get(memo);
    if (digest === undefined) {
      // One update of one string: tens of thousands of small updates cost more than the hashing.
      const lines: string[] = [];
      for (const [from, to] of this.ranges(scope)) {
        for (let i = from; i < to; i++) {
          const id = this.idAt(i);
          if (id !== null) lines.push(`${this.paths[i]}\0${id}\n`);
        }
      }
      digest = new Bun.CryptoHasher("sha256").update(lines.join("")).digest("hex");
      this.digests.set(memo, digest);
    }
    return digest;
  }

  idOf(path: string): string | undefined {
    const i = this.lowerBound(path);
    if (this.paths[i] === path) return this.idAt(i) ?? undefined;
    if (!this.unlisted.has(path)) this.unlisted.set(path, this.read(path, new Set()) ?? null);
    return this.unlisted.get(path) ?? undefined;
  }

  private idAt(i: number): string | null {
    let id = this.ids[i];
    if (id === undefined) id = this.ids[i] = this.read(this.paths[i]!, new Set()) ?? null;
    return id;
  }

  /** The content id of a file on disk; a link by what it resolves to; undefined when gone. */
  private read(path: string, following: Set<string>): string | undefined {
    const abs = join(this.root, path);
    let stats;
    try {
      stats = lstatSync(abs);
    } catch {
      return undefined;
    }
    if (stats.isFile()) return `${stats.mode & 0o111 ? "x" : "-"}${this.blobId(readFileSync(abs))}`;
    if (!stats.isSymbolicLink()) return undefined;
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      return `dangling:${readlinkSync(abs)}`;
    }
    const inside = real.startsWith(`${this.root}/`) ? real.slice(this.root.length + 1) : undefined;
    const target = statSync(real);
    if (target.isFile()) return inside !== undefined && this.listed.has(inside) ? this.idOf(inside) : `${target.mode & 0o111 ? "x" : "-"}${this.blobId(readFileSync(real))}`;
    if (!target.isDirectory()) return `special:${real}`;
    // A linked dir: what it holds, as the tests see it through the link. Only inside the
    // workspace: a dir elsewhere (a home dir, /usr) is named, not walked.
    if (inside === undefined) return `outside:${real}`;
    if (following.has(inside)) return `loop:${inside}`;
    following.add(inside);
    const hash = new Bun.CryptoHasher("sha256");
    for (const [p, id] of this.entries({ path: inside, exclude: [] })) hash.update(`${p.slice(inside.length)}\0${id}\n`);
    // Listed files only; an ignored file in the linked dir is as invisible as anywhere else.
    following.delete(inside);
    return `tree:${hash.digest("hex")}`;
  }

  private blobId(bytes: Uint8Array): string {
    const hash = new Bun.CryptoHasher(this.algorithm);
    hash.update(`blob ${bytes.byteLength}\0`);
    hash.update(bytes);
    return hash.digest("hex");
  }

  /** Index ranges of the sorted paths within `scope`, its exclusions cut out. */
  private ranges(scope: Scope): [number, number][] {
    let ranges = scope.path === "." ? [[0, this.paths.length] as [number, number]] : this.under(scope.path);
    for (const ex of scope.exclude) {
      const cuts = this.under(ex);
      ranges = ranges.flatMap(([a, b]) => {
        let pieces: [number, number][] = [[a, b]];
        for (const [c, d] of cuts) pieces = pieces.flatMap(([x, y]) => [[x, Math.min(y, c)], [Math.max(x, d), y]] as [number, number][]).filter(([x, y]) => x < y);
        return pieces;
      });
    }
    return ranges;
  }

  /** `path` itself and everything below it: "p/..." sorts between "p/" and "p0" ('0' follows '/'). */
  private under(path: string): [number, number][] {
    const out: [number, number][] = [];
    const exact = this.lowerBound(path);
    if (this.paths[exact] === path) out.push([exact, exact + 1]);
    const from = this.lowerBound(`${path}/`);
    const to = this.lowerBound(`${path}0`);
    if (from < to) out.push([from, to]);
    return out;
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.paths.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.paths[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

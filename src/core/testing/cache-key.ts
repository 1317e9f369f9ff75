// The key of a dir's test result: everything that could change what its tests do, and nothing
// that differs between two checkouts of one commit (absolute paths, mtimes, the user), so a CI
// shard and a laptop find each other's results. Paths are relative to the workspace root.
import { posix, relative } from "node:path";
import { DT_VERSION } from "../base/dt-version.ts";
import type { ImageInfo } from "../engine/engine.ts";
import { configuredDirs, passThroughEnv } from "../run/run-env.ts";
import { LABEL, type Stage } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { Workspace } from "../workspace/workspace.ts";
import type { FileIndex, Scope } from "./file-index.ts";

export interface KeyRequest {
  ws: Workspace;
  target: Target;
  index: FileIndex;
  info: ImageInfo;
  stage: Stage;
  suite: string;
  marker: string | null;
  timeout: number;
  pytestArgs: readonly string[];
  shard?: { index: number; total: number };
  /** With --shard: this shard's test files of the dir, host paths. */
  shardFiles?: readonly string[];
  memory?: number;
  env: Record<string, string | undefined>;
}

export interface CacheInputs {
  key: string;
  /** Each input by name: its value, or for `scope ...` the digest of the files it holds. */
  inputs: Record<string, string>;
  /** The scope behind each `scope ...` input, to list its files for --explain. */
  scopes: Record<string, Scope>;
}

/** Files that configure pytest from above the dir (a dir's own are among its files). */
const PYTEST_CONFIG = ["conftest.py", "pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

/**
 * What the image contributes. The content digest of a dt build is equal in every clone; an
 * image without one (built by an older dt) is known here by its context digest, which no other
 * checkout shares, and a released image (dev, prod) by its id, which every engine that pulled
 * it reports alike.
 */
export function imageIdentity(info: ImageInfo, stage: Stage): string {
  const labels = info.Config?.Labels ?? {};
  const content = labels[LABEL.contentDigest];
  if (content) return `content ${content}`;
  const context = labels[LABEL.contextDigest];
  if (stage === "local" && context) return `context ${context}`;
  return `id ${info.Id}`;
}

const inside = (dir: string, path: string) => path !== dir && (dir === "." || path.startsWith(`${dir}/`));
const within = (dir: string, path: string) => path === dir || inside(dir, path);

/** Does `a` hold every file of `b`? Not if `b` lies in a part `a` leaves out, or `a` leaves out a part of `b`. */
function covers(a: Scope, b: Scope): boolean {
  if (!within(a.path, b.path)) return false;
  if (a.exclude.some((e) => within(e, b.path))) return false;
  return a.exclude.every((e) => !inside(b.path, e) || b.exclude.some((x) => within(x, e)));
}

/** `test.depends_on` as --changed reads it: normalised, "." for everything, outside paths dropped. */
function dependsOn(entries: readonly string[]): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    let p = posix.normalize(entry.replaceAll("\\", "/"));
    if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
    if (p === ".." || p.startsWith("../") || p.startsWith("/")) continue;
    out.add(p);
  }
  return [...out].sort();
}

/** The inputs of one dir's run and their key. */
export function cacheInputs(req: KeyRequest): CacheInputs {
  const { ws, target, index } = req;
  const { config } = target.resolved;
  const runnable = ws.runnableDirs.map((d) => d.path);
  // A nested runnable dir is a unit of its own (its tests run in its own image); a dir that
  // imports one names it in test.depends_on.
  const nested = (dir: string) => runnable.filter((p) => inside(dir, p));
  const inputs: Record<string, string> = {
    dt: DT_VERSION,
    dir: target.path,
    image: imageIdentity(req.info, req.stage),
    code: req.stage === "prod" ? "in the image" : "the workspace, mounted",
    suite: req.suite,
    marker: req.marker ?? "",
    timeout: String(req.timeout),
    "pytest args": JSON.stringify(req.pytestArgs),
    shard: req.shard ? `${req.shard.index}/${req.shard.total} ${JSON.stringify((req.shardFiles ?? []).map((f) => relative(ws.root, f)).sort())}` : "",
    docker: JSON.stringify({
      mount: config.docker.mount,
      volumes: config.docker.volumes,
      sibling: config.docker.sibling,
      dind: config.docker.dind,
      memory: req.memory ?? config.docker.memory,
    }),
  };
  // Values are hashed: the inputs are kept on disk for --explain, and these may be secrets.
  for (const [name, value] of Object.entries(passThroughEnv(config.docker.env, req.env))) inputs[`env ${name}`] = sha256(value);

  const pythonpath = configuredDirs(ws.root, ws.subRepos, config.setenv.pythonpath).map((d) => relative(ws.root, d) || ".");
  inputs["setenv.pythonpath"] = JSON.stringify(pythonpath);
  const depends = dependsOn(config.test.depends_on);
  inputs["test.depends_on"] = JSON.stringify(depends);
  const candidates: [string, Scope][] = [
    [`scope ${target.path}`, { path: target.path, exclude: nested(target.path) }],
    ...pythonpath.map((p): [string, Scope] => [`scope ${p}`, { path: p, exclude: nested(p) }]),
    ...depends.map((p): [string, Scope] => [`scope ${p} (all)`, { path: p, exclude: [] }]),
  ];
  const scopes: Record<string, Scope> = {};
  // A scope inside another one adds nothing but hashing (with pythonpath ".", every sub-repo's
  // root is inside the workspace root's): only the outermost go into the key.
  candidates.forEach(([name, scope], i) => {
    const redundant = candidates.some(([, other], j) => j !== i && covers(other, scope) && (j < i || !covers(scope, other)));
    if (redundant || scopes[name]) return;
    scopes[name] = scope;
    inputs[name] = index.digest(scope);
  });
  for (let dir = target.path; dir !== "."; ) {
    dir = posix.dirname(dir);
    for (const name of PYTEST_CONFIG) {
      const path = dir === "." ? name : `${dir}/${name}`;
      inputs[`file ${path}`] = index.idOf(path) ?? "absent";
    }
  }
  return { key: keyOf(inputs), inputs, scopes };
}

export function keyOf(inputs: Record<string, string>): string {
  const sorted = Object.keys(inputs)
    .sort()
    .map((k) => [k, inputs[k]]);
  return sha256(`dt-test-cache-v1\n${JSON.stringify(sorted)}`);
}

/** What a dir's inputs were at its last cached run, as kept for --explain. */
export interface RecordedInputs {
  key: string;
  at: string;
  inputs: Record<string, string>;
}

const MAX_LINES = 20;
const short = (value: string) => (value.length > 24 ? `${value.slice(0, 24)}…` : value);

/**
 * Which inputs differ from the dir's last cached run, one line each: files by name (added,
 * removed, changed), sub-repos with both commits, the image, settings with both values.
 * `filesOf` gives the files of a scope digest, if still kept.
 */
export function explainChanges(
  before: RecordedInputs | undefined,
  now: CacheInputs,
  filesOf: (digest: string) => [string, string][] | undefined,
  currentFiles: (scope: Scope) => [string, string][],
): string[] {
  if (!before) return ["no earlier cached run of this dir (a passing run is cached from now on)"];
  if (before.key === now.key) return ["nothing changed since its last cached run, but that result is no longer in the cache"];
  const lines: string[] = [];
  const names = [...new Set([...Object.keys(before.inputs), ...Object.keys(now.inputs)])].sort();
  for (const name of names) {
    const [was, is] = [before.inputs[name], now.inputs[name]];
    if (was === is) continue;
    if (name.startsWith("scope ")) {
      const scope = now.scopes[name];
      const old = was === undefined ? [] : filesOf(was);
      if (!scope) lines.push(`${name.slice(6)} is no longer among what the tests see`);
      else if (!old) lines.push(`files under ${scope.path} changed (the earlier list is no longer kept)`);
      else lines.push(...fileChanges(old, currentFiles(scope)));
    } else if (name.startsWith("file ")) {
      lines.push(`${name.slice(5)} ${was === undefined || was === "absent" ? "added" : is === undefined || is === "absent" ? "removed" : "changed"}`);
    } else if (name.startsWith("env ")) {
      lines.push(`${name} ${was === undefined ? "set" : is === undefined ? "unset" : "changed"}`);
    } else if (name === "image") {
      lines.push(`the image changed: ${short(was ?? "none")} -> ${short(is ?? "none")}`);
    } else {
      lines.push(`${name}: ${was === undefined || was === "" ? "(none)" : was} -> ${is === undefined || is === "" ? "(none)" : is}`);
    }
  }
  const unique = [...new Set(lines)];
  if (unique.length <= MAX_LINES) return unique;
  return [...unique.slice(0, MAX_LINES - 1), `and ${unique.length - MAX_LINES + 1} more`];
}

function fileChanges(old: [string, string][], now: [string, string][]): string[] {
  const before = new Map(old);
  const lines: string[] = [];
  for (const [path, id] of now) {
    const was = before.get(path);
    before.delete(path);
    if (was === id) continue;
    if (id.startsWith("commit:") || was?.startsWith("commit:")) {
      lines.push(`sub-repo ${path} moved ${(was ?? "none").replace("commit:", "").slice(0, 8)}..${id.replace("commit:", "").slice(0, 8)}`);
    } else lines.push(`${path} ${was === undefined ? "added" : "changed"}`);
  }
  for (const path of before.keys()) lines.push(`${path} removed`);
  return lines;
}

import { join } from "node:path";
import { usageError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";

// poetry.lock's `[metadata] content-hash` is how poetry itself tells a stale lock: a sha256 of
// the pyproject sections that decide the resolution. dt computes it here, in-process, so that a
// build can refuse a stale lock before the engine sees a byte, without starting a container.

const LEGACY_KEYS = ["dependencies", "source", "extras", "dev-dependencies"];
const RELEVANT_KEYS = [...LEGACY_KEYS, "group"];
const PROJECT_KEYS = ["requires-python", "dependencies", "optional-dependencies"];

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

/** Code point order, as Python sorts str keys (UTF-16 order differs above U+FFFF). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A number as Python's json module writes it (`1e-07`, not `1e-7`; `NaN`, `Infinity`). */
function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  return String(n).replace(/e([+-])(\d)$/, "e$10$2");
}

/**
 * `json.dumps(value, sort_keys=True)` of Python, byte for byte: `", "` and `": "` separators and
 * every non-ASCII UTF-16 unit escaped as `\uXXXX` (ensure_ascii). One loss: TOML's `1.0` reaches
 * JavaScript as the number 1 and is written `1` where Python writes `1.0`; versions in pyproject
 * are strings, so the sections hashed here do not hold such floats in practice.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") {
    return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  if (value instanceof Date) return pythonJson(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const table = value as Table;
  const keys = Object.keys(table).sort(byCodePoint);
  return `{${keys.map((k) => `${pythonJson(k)}: ${pythonJson(table[k])}`).join(", ")}}`;
}

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

/**
 * The content hashes poetry would write for this pyproject: poetry 1.x hashes the relevant keys of
 * `[tool.poetry]` (Debian bookworm's python3-poetry is 1.3.2); poetry 2 also hashes the relevant
 * keys of `[project]` when it has any, and otherwise writes what 1.x does. A lock that carries
 * either is fresh: which poetry wrote it is the image's business.
 */
export function contentHashes(pyproject: Table): string[] {
  const tool = isTable(pyproject.tool) ? pyproject.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : {};
  const project = isTable(pyproject.project) ? pyproject.project : {};
  const relevantPoetry = (skipLegacy: boolean) => {
    const out: Table = {};
    for (const key of RELEVANT_KEYS) {
      const data = poetry[key];
      if ((data === undefined || data === null) && (skipLegacy || !LEGACY_KEYS.includes(key))) continue;
      out[key] = data ?? null;
    }
    return out;
  };
  const hashes = [sha256(pythonJson(relevantPoetry(false)))];
  const relevantProject: Table = {};
  for (const key of PROJECT_KEYS) if (project[key] !== undefined && project[key] !== null) relevantProject[key] = project[key];
  if (Object.keys(relevantProject).length > 0) {
    hashes.push(sha256(pythonJson({ project: relevantProject, tool: { poetry: relevantPoetry(true) } })));
  }
  return hashes;
}

export function parseToml(text: string, file: string): Table {
  try {
    return Bun.TOML.parse(text) as Table;
  } catch (e) {
    throw usageError(`${file} is not valid TOML: ${e instanceof Error ? e.message : String(e)}`, { where: file, hint: `fix ${file}` });
  }
}

/** The `content-hash` of a poetry.lock's `[metadata]`, if it has one. */
export function lockContentHash(lock: Table): string | undefined {
  const metadata = lock.metadata;
  return isTable(metadata) && typeof metadata["content-hash"] === "string" ? metadata["content-hash"] : undefined;
}

/** A dir's Python project files, as the build reads them. */
export interface PythonProject {
  pyproject: string | undefined;
  lock: string | undefined;
  /** Workspace-relative paths, for messages. */
  pyprojectFile: string;
  lockFile: string;
}

export function readPythonProject(absDir: string, relDir: string): PythonProject {
  const rel = (name: string) => (relDir === "." ? name : `${relDir}/${name}`);
  return {
    pyproject: readText(join(absDir, "pyproject.toml")),
    lock: readText(join(absDir, "poetry.lock")),
    pyprojectFile: rel("pyproject.toml"),
    lockFile: rel("poetry.lock"),
  };
}

/** Is the lock the resolution of this pyproject? Undefined when there is no pair to compare. */
export function lockIsFresh(project: PythonProject): boolean | undefined {
  if (project.pyproject === undefined || project.lock === undefined) return undefined;
  const hash = lockContentHash(parseToml(project.lock, project.lockFile));
  return hash !== undefined && contentHashes(parseToml(project.pyproject, project.pyprojectFile)).includes(hash);
}

/**
 * Refuses a build whose poetry.lock was resolved from another pyproject.toml: poetry would
 * install the old pins with a warning nobody reads in a build log.
 */
export function assertLockFresh(absDir: string, relDir: string): void {
  const project = readPythonProject(absDir, relDir);
  if (lockIsFresh(project) !== false) return;
  throw usageError(`stale: ${project.pyprojectFile} changed since this lock was resolved (poetry's content-hash differs)`, {
    where: project.lockFile,
    hint: `dt deps lock${relDir === "." ? "" : ` --dir ${relDir}`} (resolves pyproject.toml into poetry.lock in the dir's local image), then build again`,
  });
}

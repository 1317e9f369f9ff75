// Input generators and contract checks for dt's four parsers of user files, shared by the
// bounded fuzz of test/reliability/bad-input.test.ts and the long runs of scripts/fuzz.ts.
//
// The contract, for every input: the parser returns a value that satisfies the format's rules,
// or throws a DtError with exit code 2 that names the file and line (`dt.yaml:L:C`,
// `changelog.txt:L`, `.dockerignore:L`, `.gitmodules:L`) inside the text. Anything else (another
// exception, a hang, a line outside the file, a value that breaks the rules) is a bug.
import semver from "semver";
import { parseChangelog } from "../../src/core/version/changelog.ts";
import { parseConfigText } from "../../src/core/config/config.ts";
import { DT_YAML_SCHEMA, type Schema } from "../../src/core/config/schema.ts";
import { parseDockerignore, type MatchState } from "../../src/core/build/dockerignore.ts";
import { DtError, DtErrors } from "../../src/core/base/errors.ts";
import { parseGitmodules } from "../../src/core/git/gitmodules.ts";
import { mutate, randomChar, rng, type Rng } from "../unit/fuzz.ts";
import { fits } from "../support/schema-fits.ts";

export type Outcome = "parsed" | "rejected";

export interface FuzzTarget {
  name: string;
  /** The file name the parser is given, as errors name it. */
  file: string;
  generate(r: Rng): string;
  /** Runs the parser on `text`; throws a plain Error describing any breach of the contract. */
  check(text: string): Outcome;
}

/** Per-case seed: case `i` of target `name` under `seed` can be regenerated on its own. */
export function caseRng(seed: number, name: string, i: number): Rng {
  let h = seed >>> 0;
  for (const ch of `${name}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return rng(h);
}

const lineCount = (text: string) => text.split(/\r?\n|\r/).length;

function contractError(what: string, cause?: unknown): Error {
  return new Error(what, cause === undefined ? undefined : { cause });
}

/** A rejection must be exit 2 naming `file:LINE[:COL]` with LINE inside the text. */
function checkRejection(e: unknown, file: string, text: string, withColumn: boolean): void {
  if (!(e instanceof DtError)) throw contractError(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a DtError`, e);
  if (e.exitCode !== 2) throw contractError(`DtError with exit ${e.exitCode}, not 2: ${e.message}`);
  const problems = e instanceof DtErrors ? e.problems : [e];
  if (problems.length === 0) throw contractError("DtErrors without problems");
  const escaped = file.replace(/[.]/g, "\\.");
  const where = new RegExp(withColumn ? `^${escaped}:(\\d+):(\\d+)$` : `^${escaped}:(\\d+)$`);
  for (const p of problems) {
    const m = where.exec(p.where ?? "");
    if (!m) throw contractError(`problem without a ${file}:LINE${withColumn ? ":COL" : ""} location: ${JSON.stringify(p.where)} ${p.message}`);
    const line = Number(m[1]);
    if (line < 1 || line > lineCount(text) + 1) throw contractError(`line ${line} outside the text (${lineCount(text)} lines): ${p.message}`);
    if (withColumn && Number(m[2]) < 1) throw contractError(`column ${m[2]} < 1`);
    if (!p.message.trim()) throw contractError("empty message");
    if (p.message.length > 2000) throw contractError(`message of ${p.message.length} characters`);
  }
}

// ---------------------------------------------------------------- dt.yaml

export const SAMPLE_DT_YAML = `name: cmamp
image: cmamp
registry: ghcr.io/acme
registries:
  ecr: 123456789.dkr.ecr.eu-north-1.amazonaws.com/acme
platforms: [linux/amd64, linux/arm64]
builders:
  linux/arm64: ssh://ci@arm-builder
base_image: python:3.12-slim
version_policy: minor
docker:
  mount: same-path
  sibling: false
  dind: false
  env: [AWS_PROFILE, "*_API_KEY"]
  volumes: ["~/.aws:/home/dt/.aws:ro"]
  memory: 2g
test:
  suites:
    fast:      {marker: "not slow and not superslow", timeout: 5}
    slow:      {marker: "slow and not superslow",     timeout: 30}
  depends_on: [helpers_root]
setenv:
  path: [dev_scripts]
  pythonpath: [".", helpers_root]
sync:
  from: helpers_root
  files: [pytest.ini, conftest.py]
tasks:
  lint: dt docker cmd -- ruff check .
  all-tests: [dt test --suite fast, dt test --suite slow]
`;

const YAML_SYNTAX = ":-[]{},#&*!|>'\"%@` ?\n\t.0123456789";
const YAML_DONORS = [
  "imag: x", "docker:", "  sibling: yes", "  sibling: true", "platforms: linux/amd64", "- item", "  - item", "tasks: {a: [b, 1]}",
  "name: &a cmamp", "image: *a", "<<: {name: x}", "? complex", ": value", "!!binary aGVsbG8=", "--- ", "...", "%YAML 1.2",
  "test: {suites: {fast: {timeout: \"x\"}}}", "name: a\nname: b", "\"quoted\\nkey\": 1", "'single': 'x'", "key: |", "  block",
  "builders: {amd64: x}", "registries: {ecr: 5}", "version_policy: minr", "docker: {mount: app}", "\t", "name:", "{", "[", "}", "]",
  "docker: {memory: 64q}", "test: {suites: {fast: {timeout: -1}}}", "name: UPPER", "image: a//b", "platforms: [linux]", "*unknown",
  "name: !!python/object:os.system x", "a: &x [*x]", "x: 1e400", "name: 0x1f", "name: .inf", "name: null", "~: 1", "[a, b]: c",
];

// Values of every shape, for keys of every kind: the validator must place each wrong one.
const SCALARS = ["cmamp", "UPPER", "", "''", '"x y"', "123", "1.5", "-1", "true", "no", "null", "~", ".nan", "2026-11-20", "linux/amd64", "/app", "same-path", "64m", "2g", "exact", "*_API_KEY"];
const KEYS = Object.keys((DT_YAML_SCHEMA as Extract<Schema, { kind: "object" }>).fields);

function randomValue(r: Rng, depth: number): string {
  const roll = r.int(depth > 2 ? 1 : 4);
  if (roll === 0) return r.pick(SCALARS);
  if (roll === 1) return `[${Array.from({ length: r.int(3) }, () => r.pick(SCALARS)).join(", ")}]`;
  if (roll === 2) return `{${Array.from({ length: r.int(3) }, () => `${r.pick([...KEYS, "marker", "timeout", "fast", "mount", "env"])}: ${randomValue(r, depth + 1)}`).join(", ")}}`;
  return r.pick(SCALARS);
}

/** A YAML document built from dt.yaml's own keys (and near misses) with values of random shape. */
function structuredYaml(r: Rng): string {
  const lines: string[] = [];
  for (let k = 0, n = 1 + r.int(6); k < n; k++) {
    const key = r.chance(0.85) ? r.pick(KEYS) : r.pick(["imag", "dockr", "Name", "tests", "platform", "x-extra"]);
    if (r.chance(0.4)) {
      lines.push(`${key}:`);
      for (let j = 0, m = 1 + r.int(3); j < m; j++) {
        lines.push(r.chance(0.3) ? `  - ${randomValue(r, 1)}` : `  ${r.pick(["mount", "env", "memory", "suites", "fast", "path", "from", "lint", "ecr", "linux/arm64", "timeout"])}: ${randomValue(r, 1)}`);
      }
    } else {
      lines.push(`${key}: ${randomValue(r, 0)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export const configTarget: FuzzTarget = {
  name: "dt.yaml",
  file: "dt.yaml",
  generate(r) {
    if (r.chance(0.5)) return structuredYaml(r);
    const lines = SAMPLE_DT_YAML.split("\n");
    const start = r.int(lines.length - 3);
    const base = r.chance(0.1) ? SAMPLE_DT_YAML : lines.slice(start, start + 3 + r.int(10)).join("\n");
    return mutate(r, base, YAML_SYNTAX, YAML_DONORS, 5);
  },
  check(text) {
    let layer;
    try {
      layer = parseConfigText(text, "dt.yaml");
    } catch (e) {
      checkRejection(e, "dt.yaml", text, true);
      return "rejected";
    }
    if (!fits(layer.values, DT_YAML_SCHEMA as Schema)) throw contractError(`parsed to values outside the schema: ${JSON.stringify(layer.values)}`);
    for (const [key, source] of Object.entries(layer.sources)) {
      const m = /^dt\.yaml:(\d+)$/.exec(source);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > lineCount(text) + 1) throw contractError(`bad source of ${key}: ${source}`);
    }
    return "parsed";
  },
};

// ---------------------------------------------------------------- changelog.txt

const VERSIONS = ["1.4.0", "1.3.2", "0.1.0", "10.0.0", "v2.0.0", "1.4", "1.4.0.1", "01.2.3", "1.2.3-rc.1", "1.2.3+build.5", "1.2.3-", "x.y.z", "999999999999999999999.0.0", "0.0.0"];
const DATES = ["2026-11-20", "2026-02-29", "2024-02-29", "2026-13-01", "26-11-20", "2026-1-2", "2026-11-20T00:00", "", "yesterday", "0000-01-01"];
const NOTES = ["Add pyarrow", "Pin numpy", "", "  indented continuation", "- nested dash", "# not a heading?", "ünïcödé 中文 😀", "\t tab"];
const CHANGELOG_SYNTAX = "#-. 0123456789v\n";

function structuredChangelog(r: Rng): string {
  const out: string[] = [];
  for (let k = 0, n = 1 + r.int(4); k < n; k++) {
    const name = r.pick(["cmamp", "", "my-app", "a-b-c", "x y", "名前"]);
    const version = r.pick(VERSIONS);
    out.push(r.chance(0.9) ? `# ${name ? `${name}-` : ""}${version}` : r.pick([`#${version}`, `## ${version}`, `# ${name}`, "#"]));
    if (r.chance(0.9)) out.push(`- ${r.pick(DATES)}`);
    for (let j = 0, m = r.int(3); j < m; j++) out.push(r.chance(0.8) ? `- ${r.pick(NOTES)}` : r.pick(NOTES));
    if (r.chance(0.5)) out.push("");
  }
  return out.join(r.chance(0.1) ? "\r\n" : "\n");
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const changelogTarget: FuzzTarget = {
  name: "changelog.txt",
  file: "changelog.txt",
  generate(r) {
    if (r.chance(0.6)) return structuredChangelog(r);
    return mutate(r, "# cmamp-1.4.0\n- 2026-11-20\n- Add pyarrow\n- Pin numpy\n\n# cmamp-1.3.2\n- 2026-10-02\n- Fix entrypoint\n", CHANGELOG_SYNTAX, ["# cmamp-2.0.0", "- 2026-12-01", "- note", "# cmamp-1.3.2"], 4);
  },
  check(text) {
    let entries;
    try {
      entries = parseChangelog(text, "changelog.txt");
    } catch (e) {
      checkRejection(e, "changelog.txt", text, false);
      if (!(e as DtError).hint?.startsWith("expected")) throw contractError(`rejection without an 'expected ...' hint: ${(e as DtError).message}`);
      return "rejected";
    }
    if (entries.length === 0) throw contractError("parsed to no entries");
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!semver.valid(e.version)) throw contractError(`entry ${i} has version ${e.version}, not semver`);
      if (i > 0 && !semver.lt(e.version, entries[i - 1]!.version)) throw contractError(`versions not strictly decreasing at entry ${i}`);
      if (!DATE.test(e.date) || Number.isNaN(Date.parse(`${e.date}T00:00:00Z`))) throw contractError(`entry ${i} has date ${JSON.stringify(e.date)}`);
      if (e.line < 1 || e.line > lineCount(text) || (i > 0 && e.line <= entries[i - 1]!.line)) throw contractError(`entry ${i} at line ${e.line}`);
    }
    return "parsed";
  },
};

// ---------------------------------------------------------------- dockerignore

const IGNORE_PIECES = ["*", "**", "?", "[a-c]", "[^x]", "[", "]", "\\", "\\*", "!", "/", "./", "../", ".git", "node_modules", "*.pyc", "build/", "a", "b", ".", "..", "#", " ", "ü", "😀", "[z-a]", "[]", "[!]", "\\[", "{a,b}", "\r"];
const PATHS = ["a", "a/b", "a/b/c", ".git", ".git/HEAD", "build/x.pyc", "src/main.py", "devops/docker_build/dev.Dockerfile", "x y/ü.txt", "[a]", "*", "a\\b", "..x", ".env", "deep/er/.env"];

function structuredIgnore(r: Rng): string {
  const lines: string[] = [];
  for (let k = 0, n = 1 + r.int(8); k < n; k++) {
    let line = r.chance(0.2) ? "!" : "";
    for (let j = 0, m = 1 + r.int(4); j < m; j++) line += r.chance(0.85) ? r.pick(IGNORE_PIECES) : randomChar(r, "*?[]\\!/.");
    lines.push(r.chance(0.1) ? `# ${line}` : r.chance(0.1) ? `  ${line}  ` : line);
  }
  return lines.join(r.chance(0.1) ? "\r\n" : "\n");
}

export const dockerignoreTarget: FuzzTarget = {
  name: "dockerignore",
  file: ".dockerignore",
  generate(r) {
    if (r.chance(0.7)) return structuredIgnore(r);
    return mutate(r, ".git\n**/.git\n*.pyc\n!keep.pyc\nbuild/\n# comment\n*\n!devops/\n", "*?[]\\!/.#", IGNORE_PIECES, 4);
  },
  check(text) {
    let matcher;
    try {
      matcher = parseDockerignore(text, ".dockerignore");
    } catch (e) {
      checkRejection(e, ".dockerignore", text, false);
      return "rejected";
    }
    if (matcher.patterns.length > lineCount(text)) throw contractError(`${matcher.patterns.length} patterns from ${lineCount(text)} lines`);
    for (const p of matcher.patterns) if (p.line < 1 || p.line > lineCount(text)) throw contractError(`pattern at line ${p.line}`);
    // A parsed matcher answers for every path, walking top-down or asked directly, without throwing.
    for (const path of PATHS) {
      const direct = matcher.matches(path);
      if (typeof direct !== "boolean") throw contractError(`matches(${path}) returned ${String(direct)}`);
      let state: MatchState | null = null;
      const parts = path.split("/");
      for (let i = 0; i < parts.length; i++) {
        const rel = parts.slice(0, i + 1).join("/");
        const step = matcher.evaluate(rel, state);
        state = step.state;
        if (i < parts.length - 1 && typeof matcher.mayHaveExceptionsUnder(rel) !== "boolean") throw contractError("mayHaveExceptionsUnder is not boolean");
      }
    }
    return "parsed";
  },
};

// ---------------------------------------------------------------- .gitmodules

const GITMODULES_SYNTAX = '[]"=#;\\ \t./submodulepathurlbranch';
const GITMODULES_DONORS = [
  '[submodule "x"]', "[core]", '[submodule ""]', "[submodule]", "\tpath = ../x", "\tpath = /abs", "\tpath = ok", '\tpath = "q"',
  '\turl = "open', "\tbranch", "# comment", "; comment", "=", "[", "]", '"', "\\", '[submodule "a\\"b"]', "\tpath = a/../../b", "\tPATH = up",
];

function structuredGitmodules(r: Rng): string {
  const out: string[] = [];
  for (let k = 0, n = r.int(4); k <= n; k++) {
    const name = r.pick(["helpers", "libs/data", "a b", 'q"t', "x", "ü"]);
    out.push(r.chance(0.9) ? `[submodule "${name.replace(/["\\]/g, "\\$&")}"]` : r.pick(GITMODULES_DONORS));
    if (r.chance(0.95)) out.push(`\tpath = ${r.pick(["helpers", "libs/data", '"sp ace"', "deep/er/path/", "x", "../up", "/abs", "a/./b", ""])}`);
    if (r.chance(0.8)) out.push(`\turl = ${r.pick(["https://github.com/a/b.git", "git@host:a/b", "../rel.git", '"quoted url"', '"open'])}`);
    if (r.chance(0.3)) out.push(`\tbranch = ${r.pick(["main", "release/1.x", "."])}`);
    if (r.chance(0.2)) out.push(r.pick(["# comment", "", "; c", "[core]", "\tbare = true"]));
  }
  return `${out.join("\n")}\n`;
}

export const gitmodulesTarget: FuzzTarget = {
  name: "gitmodules",
  file: ".gitmodules",
  generate(r) {
    const base = structuredGitmodules(r);
    return r.chance(0.5) ? base : mutate(r, base, GITMODULES_SYNTAX, GITMODULES_DONORS, 3);
  },
  check(text) {
    let modules;
    try {
      modules = parseGitmodules(text, ".gitmodules");
    } catch (e) {
      checkRejection(e, ".gitmodules", text, false);
      return "rejected";
    }
    for (const m of modules) {
      if (!m.path) throw contractError(`submodule ${m.name} with an empty path`);
      if (m.path.startsWith("/") || m.path.split("/").includes("..")) throw contractError(`submodule path outside the repo: ${m.path}`);
      if (m.path.endsWith("/")) throw contractError(`path with a trailing slash: ${m.path}`);
    }
    return "parsed";
  },
};

export const TARGETS: readonly FuzzTarget[] = [configTarget, changelogTarget, dockerignoreTarget, gitmodulesTarget];

export interface FuzzFailure {
  target: string;
  seed: number;
  index: number;
  text: string;
  error: Error;
}

/** Runs cases `from..to-1` of `target` under `seed`; returns the first failure, if any, and the tallies. */
export function runCases(target: FuzzTarget, seed: number, from: number, to: number): { parsed: number; rejected: number; failure?: FuzzFailure } {
  let parsed = 0;
  let rejected = 0;
  for (let i = from; i < to; i++) {
    const text = target.generate(caseRng(seed, target.name, i));
    try {
      if (target.check(text) === "parsed") parsed++;
      else rejected++;
    } catch (error) {
      return { parsed, rejected, failure: { target: target.name, seed, index: i, text, error: error as Error } };
    }
  }
  return { parsed, rejected };
}

export function describeFailure(f: FuzzFailure): string {
  return `${f.target}: case ${f.index} of seed ${f.seed} breaks the contract: ${f.error.message}\ninput: ${JSON.stringify(f.text)}\n` +
    `reproduce: bun scripts/fuzz.ts --target ${f.target} --seed ${f.seed} --case ${f.index}`;
}

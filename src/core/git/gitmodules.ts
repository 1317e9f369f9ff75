import { usageError } from "../base/errors.ts";

export interface SubmoduleDecl {
  name: string;
  path: string;
  url: string | null;
  branch: string | null;
  /** 1-based line of the `[submodule "..."]` header, for error messages. */
  line: number;
  /** 1-based line of its `path = ...`. */
  pathLine: number;
}

// Section names are case-insensitive in git config ([Submodule "x"] is a submodule section).
const SECTION = /^\[\s*submodule\s+"((?:[^"\\]|\\.)*)"\s*\]\s*$/i;
// Any other well-formed section header (git syntax: name, optional quoted subsection).
const OTHER_SECTION = /^\[\s*[A-Za-z0-9.-]+(?:\s+"(?:[^"\\]|\\.)*")?\s*\]\s*$/;
const ENTRY = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/;

/**
 * Parses `.gitmodules` (git-config syntax) well enough for dt: submodule sections with their
 * path, url and branch. Anything it cannot read is a usage error with `file:line`.
 */
export function parseGitmodules(text: string, file = ".gitmodules"): SubmoduleDecl[] {
  const modules: SubmoduleDecl[] = [];
  let current: SubmoduleDecl | undefined;
  let inOtherSection = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = stripComment(raw).trim();
    if (line === "") continue;
    const where = `${file}:${i + 1}`;
    const section = SECTION.exec(line);
    if (section) {
      current = { name: unescape(section[1]!), path: "", url: null, branch: null, line: i + 1, pathLine: i + 1 };
      modules.push(current);
      inOtherSection = false;
      continue;
    }
    if (OTHER_SECTION.test(line)) {
      current = undefined;
      inOtherSection = true;
      continue;
    }
    const entry = ENTRY.exec(line);
    if (!entry || (!current && !inOtherSection)) {
      throw usageError(`cannot read this line: ${JSON.stringify(raw.slice(0, 80))}`, {
        where,
        hint: `expected '[submodule "NAME"]' or 'key = value'; fix ${file} or run 'git submodule sync'`,
      });
    }
    if (!current) continue;
    const key = entry[1]!.toLowerCase();
    const value = unquote(entry[2] ?? "", where);
    if (key === "path") {
      current.path = value;
      current.pathLine = i + 1;
    } else if (key === "url") current.url = value;
    else if (key === "branch") current.branch = value;
  }
  for (const m of modules) {
    if (!m.path) {
      throw usageError(`submodule "${m.name}" has no path`, {
        where: `${file}:${m.line}`,
        hint: `add 'path = DIR' under [submodule "${m.name}"]`,
      });
    }
    if (m.path.startsWith("/") || m.path.split("/").includes("..")) {
      throw usageError(`submodule "${m.name}" has a path outside the repository: ${m.path}`, {
        where: `${file}:${m.pathLine}`,
        hint: "submodule paths are relative to the repository root and stay inside it",
      });
    }
    // `.`, `./`, `a/./..`: the repository itself, which would contain itself without end.
    if (m.path.split("/").every((part) => part === "" || part === ".")) {
      throw usageError(`submodule "${m.name}" has the path ${JSON.stringify(m.path)}: the repository itself`, {
        where: `${file}:${m.pathLine}`,
        hint: `give the sub-repo a directory of its own (path = DIR), or remove the [submodule "${m.name}"] section`,
      });
    }
    m.path = m.path.replace(/\/+$/, "");
  }
  return modules;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "#" || c === ";")) return line.slice(0, i);
  }
  return line;
}

function unquote(value: string, where: string): string {
  const v = value.trim();
  if (!v.includes('"')) return v;
  let out = "";
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && i + 1 < v.length) out += unescape(c + v[++i]);
    else out += c;
  }
  if (quoted) throw usageError("unterminated quote", { where, hint: "close the quote or remove it" });
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", b: "\b" })[c] ?? c);
}

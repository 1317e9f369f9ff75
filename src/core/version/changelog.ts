import { clean, inc, lt, valid } from "./semver.ts";
import { usageError } from "../base/errors.ts";

export interface ChangelogEntry {
  name: string;
  version: string;
  date: string;
  notes: string[];
  /** 1-based line of the heading. */
  line: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const fail = (file: string, line: number, message: string, expected: string) =>
  usageError(message, { where: `${file}:${line}`, hint: `expected ${expected}` });

/** The dir's own name for the examples of error fixes: the dir of `file`, else `NAME`. */
const nameOf = (file: string) => file.split("/").at(-2) ?? "NAME";

/**
 * Parses a changelog strictly: newest entry first, each `# NAME-X.Y.Z` heading followed by a
 * `- YYYY-MM-DD` line and `- note` lines. Any deviation is a usage error at `file:line`, whose
 * fix shows a heading in `name` (default: the name of the file's dir).
 */
export function parseChangelog(text: string, file = "changelog.txt", name = nameOf(file)): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let current: ChangelogEntry | undefined;
  let expectDate = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.trimEnd();
    if (line.trim() === "") continue;
    const heading = headingText(line);
    if (heading !== undefined) {
      if (expectDate && current) throw fail(file, n, `entry ${current.version} has no date`, "'- YYYY-MM-DD' after the heading");
      const m = splitNamedVersion(heading);
      if (!m || !valid(m.version)) {
        throw fail(file, n, `heading without a semver version: ${JSON.stringify(line.slice(0, 80))}`, `'# NAME-X.Y.Z', e.g. '# ${name}-1.4.0'`);
      }
      const version = clean(m.version)!;
      const previous = entries.at(-1);
      if (previous && !lt(version, previous.version)) {
        throw fail(
          file,
          n,
          `version ${version} is not lower than ${previous.version} above it (line ${previous.line})`,
          "entries newest first, each version lower than the one above",
        );
      }
      current = { name: m.name, version, date: "", notes: [], line: n };
      entries.push(current);
      expectDate = true;
      continue;
    }
    if (!current) throw fail(file, n, "text before the first version heading", `the file to start with '# ${name}-X.Y.Z'`);
    const item = /^\s*-\s?(.*)$/s.exec(line);
    if (expectDate) {
      const date = item?.[1]?.trim() ?? "";
      if (!item || !DATE.test(date) || !isRealDate(date)) {
        throw fail(file, n, `not a date: ${JSON.stringify(line.trim().slice(0, 40))}`, "'- YYYY-MM-DD' on the line after the heading");
      }
      current.date = date;
      expectDate = false;
      continue;
    }
    if (item && !/^\s/.test(line)) current.notes.push(item[1]!.trim());
    else if (current.notes.length > 0) current.notes[current.notes.length - 1] = `${current.notes.at(-1)} ${line.trim()}`.trimStart();
    else throw fail(file, n, "note without a leading '- '", "'- NOTE'");
  }
  if (expectDate && current) throw fail(file, current.line, `entry ${current.version} has no date`, "'- YYYY-MM-DD' after the heading");
  if (entries.length === 0) throw fail(file, 1, "no version heading", `a first line like '# ${name}-0.1.0'`);
  return entries;
}

// The heading grammar, `# [NAME-]vX.Y.Z[-PRE][+BUILD]`, read by hand: as regular expressions
// (`^#\s+(.*?)\s*$`, `^(?:(.+?)-)?v?VERSION$`) it backtracks, and one line of 80,000 spaces took
// 20 s. These scans are linear in the line.

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** The text of a heading line (`#`, whitespace, the text; trailing space already trimmed), or undefined. */
function headingText(line: string): string | undefined {
  if (line.charCodeAt(0) !== 35 /* # */ || !/\s/.test(line.charAt(1))) return undefined;
  const text = line.slice(1).trim();
  // A line break inside is a line of its own to an editor, not a heading.
  return text === "" || LINE_BREAK.test(text) ? undefined : text;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
// [0-9A-Za-z.-]: what a pre-release or build part may hold.
const isIdentChar = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;

/**
 * `NAME-vX.Y.Z...` split at the first `-` after which a version follows to the end (the name is
 * optional, and may itself hold `-`), or undefined when no split gives one.
 */
function splitNamedVersion(text: string): { name: string; version: string } | undefined {
  const n = text.length;
  // identRunEnd[i]: where the run of identifier chars starting at i ends.
  const identRunEnd = new Int32Array(n + 1);
  identRunEnd[n] = n;
  for (let i = n - 1; i >= 0; i--) identRunEnd[i] = isIdentChar(text.charCodeAt(i)) ? identRunEnd[i + 1]! : i;
  const buildAt = (i: number) => text.charCodeAt(i) === 43 /* + */ && i + 1 < n && identRunEnd[i + 1] === n;
  // `-PRE` and/or `+BUILD` from i to the end; PRE takes every identifier char, which ends at the `+`.
  const tailAt = (i: number) => i === n || buildAt(i) || (text.charCodeAt(i) === 45 && identRunEnd[i + 1]! > i + 1 && (identRunEnd[i + 1] === n || buildAt(identRunEnd[i + 1]!)));
  // `v?X.Y.Z` then a tail; the scan stops at the first char that is neither digit nor dot, so
  // the candidates after different dashes never rescan the same chars.
  const versionAt = (start: number) => {
    let i = text.charCodeAt(start) === 118 /* v */ ? start + 1 : start;
    for (let part = 0; part < 3; part++) {
      if (part > 0) {
        if (text.charCodeAt(i) !== 46) return false;
        i++;
      }
      const digits = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i === digits) return false;
    }
    return tailAt(i);
  };
  for (let dash = text.indexOf("-", 1); dash !== -1; dash = text.indexOf("-", dash + 1)) {
    if (versionAt(dash + 1)) return { name: text.slice(0, dash), version: text.slice(text.charCodeAt(dash + 1) === 118 ? dash + 2 : dash + 1) };
  }
  if (versionAt(0)) return { name: "", version: text.slice(text.charCodeAt(0) === 118 ? 1 : 0) };
  return undefined;
}

function isRealDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(date);
}

export const currentVersion = (entries: readonly ChangelogEntry[]) => entries[0]!.version;

export function formatEntry(entry: Pick<ChangelogEntry, "name" | "version" | "date" | "notes">): string {
  const heading = entry.name ? `# ${entry.name}-${entry.version}` : `# ${entry.version}`;
  return [heading, `- ${entry.date}`, ...entry.notes.map((n) => `- ${n}`)].join("\n") + "\n";
}

export function initialChangelog(name: string, date: string): string {
  return formatEntry({ name, version: "0.1.0", date, notes: ["Initial version"] });
}

export type BumpKind = "major" | "minor" | "patch";

/** The text with a new entry prepended; the rest of the file (BOM included) is kept byte for byte. */
export function bumpChangelog(text: string, kind: BumpKind, notes: readonly string[], date: string, file?: string, name?: string) {
  if (!DATE.test(date) || !isRealDate(date)) throw usageError(`--date ${date} is not a date`, { hint: "use YYYY-MM-DD" });
  if (notes.length === 0 || notes.some((n) => n.trim() === "")) {
    throw usageError("a version bump needs a message", { hint: "add -m 'what changed' (repeatable)" });
  }
  if (notes.some((n) => /[\r\n\u2028\u2029]/.test(n))) {
    throw usageError("a changelog message is one line", { hint: "give each line its own -m" });
  }
  const entries = parseChangelog(text, file, name);
  const newest = entries[0]!;
  const version = inc(newest.version, kind)!;
  // The new entry speaks the file's dialect: its BOM and its line ending (the first one found).
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = text.slice(bom.length);
  const eol = /\r?\n/.exec(body)?.[0] ?? "\n";
  const entry = formatEntry({ name: newest.name, version, date, notes: notes.map((n) => n.trim()) }).replaceAll("\n", eol);
  return { version, text: `${bom}${entry}${eol}${body.replace(/^\s*\n/, "")}` };
}

/** Today's date on this machine's calendar, YYYY-MM-DD. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

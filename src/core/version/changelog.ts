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

const HEADING = /^#\s+(.*?)\s*$/;
const NAMED_VERSION = /^(?:(.+?)-)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const fail = (file: string, line: number, message: string, expected: string) =>
  usageError(message, { where: `${file}:${line}`, hint: `expected ${expected}` });

/**
 * Parses a changelog strictly: newest entry first, each `# NAME-X.Y.Z` heading followed by a
 * `- YYYY-MM-DD` line and `- note` lines. Any deviation is a usage error at `file:line`.
 */
export function parseChangelog(text: string, file = "changelog.txt"): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let current: ChangelogEntry | undefined;
  let expectDate = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.trimEnd();
    if (line.trim() === "") continue;
    const heading = HEADING.exec(line);
    if (heading) {
      if (expectDate && current) throw fail(file, n, `entry ${current.version} has no date`, "'- YYYY-MM-DD' after the heading");
      const m = NAMED_VERSION.exec(heading[1]!);
      if (!m || !valid(m[2]!)) {
        throw fail(file, n, `heading without a semver version: ${JSON.stringify(line.slice(0, 80))}`, "'# NAME-X.Y.Z', e.g. '# cmamp-1.4.0'");
      }
      const version = clean(m[2]!)!;
      const previous = entries.at(-1);
      if (previous && !lt(version, previous.version)) {
        throw fail(
          file,
          n,
          `version ${version} is not lower than ${previous.version} above it (line ${previous.line})`,
          "entries newest first, each version lower than the one above",
        );
      }
      current = { name: m[1] ?? "", version, date: "", notes: [], line: n };
      entries.push(current);
      expectDate = true;
      continue;
    }
    if (!current) throw fail(file, n, "text before the first version heading", "the file to start with '# NAME-X.Y.Z'");
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
  if (entries.length === 0) throw fail(file, 1, "no version heading", "a first line like '# NAME-0.1.0'");
  return entries;
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

/** The text with a new entry prepended; the rest of the file is kept byte for byte. */
export function bumpChangelog(text: string, kind: BumpKind, notes: readonly string[], date: string, file?: string) {
  if (!DATE.test(date) || !isRealDate(date)) throw usageError(`--date ${date} is not a date`, { hint: "use YYYY-MM-DD" });
  if (notes.length === 0 || notes.some((n) => n.trim() === "")) {
    throw usageError("a version bump needs a message", { hint: "add -m 'what changed' (repeatable)" });
  }
  if (notes.some((n) => /[\r\n\u2028\u2029]/.test(n))) {
    throw usageError("a changelog message is one line", { hint: "give each line its own -m" });
  }
  const entries = parseChangelog(text, file);
  const newest = entries[0]!;
  const version = inc(newest.version, kind)!;
  const entry = formatEntry({ name: newest.name, version, date, notes: notes.map((n) => n.trim()) });
  return { version, text: `${entry}\n${text.replace(/^\uFEFF/, "").replace(/^\s*\n/, "")}` };
}

/** Today's date on this machine's calendar, YYYY-MM-DD. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

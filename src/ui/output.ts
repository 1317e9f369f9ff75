import type { ConsolaInstance, ConsolaReporter, LogObject } from "consola/core";
import { isTTY, writeAll } from "./fd.ts";
import { shortenMiddle, visibleWidth } from "./text-width.ts";

/**
 * Everything that decides how dt talks: results on stdout, talk on stderr, colour only on a
 * TTY that wants it. Global flags land here once; commands and the top level read them.
 */
export interface OutputSettings {
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  /** --wide: tables keep every cell whole, however wide. */
  wide: boolean;
}

export const settings: OutputSettings = {
  quiet: false,
  verbose: false,
  color: detectColor(),
  wide: false,
};

function detectColor(): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return isTTY(2) && process.env.TERM !== "dumb";
}

// A dumb terminal shows cursor movements as garbage: plain lines there, as under CI.
export const isInteractive = () => isTTY(2) && !process.env.CI && process.env.TERM !== "dumb";

const paint = (code: string) => (s: string) => (settings.color ? `\x1b[${code}m${s}\x1b[0m` : s);
export const c = {
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  blue: paint("34"),
  dim: paint("2"),
  bold: paint("1"),
  cyan: paint("36"),
};

// Talk (info, warnings, debug lines) goes through consola: its levels follow --quiet and
// --verbose, and its reporter is chosen once for where stderr goes. consola/core is required on
// first use, never by `dt --help` or `dt --version` (bench/startup.sh); the reporters are dt's own
// so the words stay dt's (`warning: ...`), and they write with writeAll, as all output does.

/** The progress line being drawn in place, which talk on a terminal must not write into. */
export interface LiveLine {
  clear(): void;
  redraw(): void;
}
let live: LiveLine | undefined;
/** Set by a live progress display while it draws; undefined when it ends. */
export const setLiveLine = (line: LiveLine | undefined) => {
  live = line;
};

const lineOf = (logObj: LogObject) => {
  const message = logObj.args.map(String).join(" ");
  if (logObj.type === "warn") return `${c.yellow("warning:")} ${message}\n`;
  if (logObj.type === "debug" || logObj.type === "trace") return `${c.dim(message)}\n`;
  return `${message}\n`;
};

/** CI and pipes: each message a whole line, as it is. */
export const plainReporter: ConsolaReporter = { log: (logObj) => writeAll(2, lineOf(logObj)) };

/** A terminal: the same lines, written above a progress line drawn in place, which is then redrawn. */
export const terminalReporter: ConsolaReporter = {
  log(logObj) {
    live?.clear();
    writeAll(2, lineOf(logObj));
    live?.redraw();
  },
};

/** consola's level for the global flags: --quiet keeps warnings, --verbose adds debug lines. */
export const talkLevel = (s: Pick<OutputSettings, "quiet" | "verbose">) => (s.quiet ? 1 : s.verbose ? 4 : 3);

let talker: ConsolaInstance | undefined;
/** The talk channel: one consola instance, made on first use. Tests may set its reporters. */
export function talk(): ConsolaInstance {
  if (!talker) {
    const { createConsola } = require("consola/core") as typeof import("consola/core");
    // throttle 0: consola would fold repeated lines ("repeated 5 times"); a warning per dir is wanted.
    talker = createConsola({ reporters: [isInteractive() ? terminalReporter : plainReporter], throttle: 0 });
  }
  talker.level = talkLevel(settings);
  return talker;
}

/** A line of talk on stderr; suppressed by --quiet. */
export function info(message: string): void {
  talk().info(message);
}

/** Shown under --quiet too. */
export function warn(message: string): void {
  talk().warn(message);
}

/** Only with --verbose. */
export function debug(message: string): void {
  talk().debug(message);
}

/** A result for the user on stdout (tables, listings). */
export function out(text: string): void {
  writeAll(1, text.endsWith("\n") ? text : `${text}\n`);
}

/** JSON on stdout as it is (a GitHub matrix, a JSON schema): for output that is JSON by nature. */
export function outJson(value: unknown): void {
  writeAll(1, `${JSON.stringify(value, null, 2)}\n`);
}

let documents = 0;
/** How many --json documents this run printed: the top level prints an error document only if none. */
export const documentsWritten = () => documents;

/**
 * The one JSON document a `--json` command prints: `ok` comes first (the document's own, else
 * whether `exitCode` is 0), then `exitCode` when it is not 0, so a script reads success and
 * failure the same way from every command and from errors.
 */
export function outDocument(value: object, exitCode = 0): void {
  documents++;
  const ok = "ok" in value ? value.ok : exitCode === 0;
  outJson({ ok, ...(exitCode ? { exitCode } : {}), ...value });
}

/** The width tables fit in (unless --wide): what a terminal, a log viewer or a mail shows whole. */
export const TABLE_WIDTH = 80;

const stripEscapes = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/**
 * Left-aligned columns; widths from the content, colour codes not counted. A table wider than
 * TABLE_WIDTH takes the middle out of the cells of the `shrink` columns (image names, URLs),
 * widest column first, unless --wide; the other columns stay whole, and so do the rows `whole`
 * keeps (a reason in place of an image name must be read to the end).
 */
export function table(header: string[], rows: string[][], options: { shrink?: number[]; whole?: (row: number) => boolean } = {}): string {
  const widths = header.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ""))));
  const shrink = settings.wide ? [] : (options.shrink ?? []);
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const MIN = 12;
  while (total() > TABLE_WIDTH) {
    const widest = shrink.filter((i) => widths[i]! > MIN).sort((a, b) => widths[b]! - widths[a]!)[0];
    if (widest === undefined) break;
    widths[widest]!--;
  }
  const fit = (cell: string, i: number, row: number) =>
    shrink.includes(i) && !(row >= 0 && options.whole?.(row)) && visibleWidth(cell) > widths[i]! ? shortenMiddle(stripEscapes(cell), widths[i]!) : cell;
  const line = (cells: string[], row: number) =>
    cells
      .map((raw, i) => {
        const cell = fit(raw, i, row);
        return i === cells.length - 1 ? cell : cell + " ".repeat(Math.max(0, widths[i]! - visibleWidth(cell)));
      })
      .join("  ")
      .trimEnd();
  return [line(header.map((h) => c.bold(h)), -1), ...rows.map(line)].join("\n");
}

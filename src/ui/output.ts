import { isTTY, writeAll } from "./fd.ts";

/**
 * Everything that decides how dt talks: results on stdout, talk on stderr, colour only on a
 * TTY that wants it. Global flags land here once; commands and the top level read them.
 */
export interface OutputSettings {
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

export const settings: OutputSettings = {
  quiet: false,
  verbose: false,
  color: detectColor(),
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

/** A line of talk on stderr; suppressed by --quiet. */
export function info(message: string): void {
  if (!settings.quiet) writeAll(2, `${message}\n`);
}

export function warn(message: string): void {
  writeAll(2, `${c.yellow("warning:")} ${message}\n`);
}

export function debug(message: string): void {
  if (settings.verbose) writeAll(2, `${c.dim(message)}\n`);
}

/** A result for the user on stdout (tables, listings). */
export function out(text: string): void {
  writeAll(1, text.endsWith("\n") ? text : `${text}\n`);
}

/** The one JSON document a `--json` command prints. */
export function outJson(value: unknown): void {
  writeAll(1, `${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns; widths from the content, colour codes not counted. */
export function table(header: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - visible(cell))))
      .join("  ")
      .trimEnd();
  return [line(header.map((h) => c.bold(h))), ...rows.map(line)].join("\n");
}

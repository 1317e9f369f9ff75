// Widths as a terminal counts them: escape codes take no column, a wide character takes two.
// A progress line longer than the terminal wraps, and the next redraw (which moves up by lines,
// not rows) leaves the wrapped part behind; so lines that are redrawn are cut by these widths.

const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/y;

const charWidth = (ch: string) => Bun.stringWidth(ch);

/** Columns `text` takes on a terminal. */
export const visibleWidth = (text: string) => Bun.stringWidth(text);

/**
 * `text` cut to at most `width` columns, ending in `…` when cut. Escape codes are kept (they take
 * no column), and a reset follows a cut that may have left a colour open.
 */
export function cutToWidth(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  let styled = false;
  for (let i = 0; i < text.length; ) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(text);
    if (escape) {
      out += escape[0];
      styled = true;
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    const w = charWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
    i += ch.length;
  }
  return `${out}…${styled ? "\x1b[0m" : ""}`;
}

/**
 * `text` (plain, no escape codes) shortened to `width` columns by taking out its middle: both
 * ends of an image name say the most (the registry and repository, the tag and version).
 */
export function shortenMiddle(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  if (width <= 1) return "…".slice(0, width);
  const chars = [...text];
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  let start = "";
  let end = "";
  for (const ch of chars) {
    if (visibleWidth(start + ch) > head) break;
    start += ch;
  }
  for (const ch of chars.reverse()) {
    if (visibleWidth(start) + visibleWidth(ch + end) > keep) break;
    end = ch + end;
  }
  return `${start}…${end}`;
}

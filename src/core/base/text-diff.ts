/**
 * A small line diff (Myers' O(ND) algorithm) and its unified rendering, for `dt sync`'s reports.
 * Lines keep their "\n", so a last line without one differs from the same line with one, as in
 * diff(1), and is shown with "\ No newline at end of file".
 */

export type EditKind = "equal" | "delete" | "insert";

export interface Edit {
  kind: EditKind;
  line: string;
}

/** Beyond this many differences the diff stops looking for a short script: all of a, then all of b. */
const MAX_EDITS = 2000;

/** Splits text into lines, each with its "\n" (the last one may lack it). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The edit script turning `a` into `b`: as few deletions and insertions as Myers finds. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const equal = (line: string): Edit => ({ kind: "equal", line });
  return [
    ...a.slice(0, start).map(equal),
    ...myers(a.slice(start, endA), b.slice(start, endB)),
    ...a.slice(endA).map(equal),
  ];
}

function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const del = (line: string): Edit => ({ kind: "delete", line });
  const ins = (line: string): Edit => ({ kind: "insert", line });
  if (n === 0 || m === 0) return [...a.map(del), ...b.map(ins)];
  // v[k] = furthest x reached on diagonal k (y = x - k); trace[d] holds v for k in [-d, d]
  // after round d, so memory grows with the number of edits, not with the file sizes.
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  if (!found) return [...a.map(del), ...b.map(ins)];

  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number) => prev[k + d - 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    for (; x > prevX && y > prevY; x--, y--) edits.push({ kind: "equal", line: a[x - 1]! });
    if (x === prevX) edits.push(ins(b[--y]!));
    else edits.push(del(a[--x]!));
  }
  for (; x > 0 && y > 0; x--, y--) edits.push({ kind: "equal", line: a[x - 1]! });
  return edits.reverse();
}

export interface UnifiedOptions {
  /** Label of the old side (`--- LABEL`). */
  from: string;
  /** Label of the new side (`+++ LABEL`). */
  to: string;
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
}

/** A unified diff of two texts; "" when they are equal. */
export function unifiedDiff(a: string, b: string, options: UnifiedOptions): string {
  if (a === b) return "";
  const context = options.context ?? 3;
  const edits = diffLines(splitLines(a), splitLines(b));
  // Line numbers (0-based) of each edit on both sides, before it is applied.
  const pos: { ai: number; bi: number }[] = [];
  let ai = 0;
  let bi = 0;
  for (const e of edits) {
    pos.push({ ai, bi });
    if (e.kind !== "insert") ai++;
    if (e.kind !== "delete") bi++;
  }
  const changed = edits.flatMap((e, i) => (e.kind === "equal" ? [] : [i]));
  const out = [`--- ${options.from}`, `+++ ${options.to}`];
  let h = 0;
  while (h < changed.length) {
    // A hunk runs from `context` lines before its first change to `context` after its last;
    // changes closer than 2*context lines apart share one hunk.
    let last = changed[h]!;
    let next = h + 1;
    while (next < changed.length && changed[next]! - last <= 2 * context + 1) last = changed[next++]!;
    const from = Math.max(0, changed[h]! - context);
    const to = Math.min(edits.length, last + context + 1);
    const slice = edits.slice(from, to);
    const start = pos[from]!;
    const aLen = slice.filter((e) => e.kind !== "insert").length;
    const bLen = slice.filter((e) => e.kind !== "delete").length;
    out.push(`@@ -${range(start.ai, aLen)} +${range(start.bi, bLen)} @@`);
    for (const e of slice) {
      const mark = e.kind === "equal" ? " " : e.kind === "delete" ? "-" : "+";
      if (e.line.endsWith("\n")) out.push(mark + e.line.slice(0, -1));
      else out.push(mark + e.line, "\\ No newline at end of file");
    }
    h = next;
  }
  return `${out.join("\n")}\n`;
}

/** `start,length` of a hunk side, diff(1) style: 1-based, `,1` left out, an empty side at the line before. */
function range(start: number, length: number): string {
  if (length === 0) return `${start},0`;
  return length === 1 ? `${start + 1}` : `${start + 1},${length}`;
}

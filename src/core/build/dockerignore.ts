// .dockerignore with the Docker CLI's semantics, quirks included: a context that dt packs
// must hold exactly the files `docker build` would send, or images differ between the two.
// Reference behaviour: moby/patternmatcher (matching, ignorefile) and the context walk of the
// engine's archive package, checked against the real CLI by test/e2e/dockerignore-cli.test.ts.
import { usageError } from "../base/errors.ts";

export interface IgnorePattern {
  /** The pattern as Docker keeps it: cleaned, without its leading `!`. */
  text: string;
  /** A `!` line: re-includes what it matches. */
  exception: boolean;
  /** 1-based line in the ignore file. */
  line: number;
  test(path: string): boolean;
  /** Whether the pattern matches the prefix of `path` that ends at each of `ends` (see PatternTest). */
  hitsAt(path: string, ends: readonly number[]): Uint8Array;
}

/** Per-pattern results for a directory, handed down to its children while walking. */
export type MatchState = Uint8Array;

export interface Matcher {
  readonly patterns: readonly IgnorePattern[];
  readonly hasExceptions: boolean;
  /**
   * True when `relPath` (POSIX, relative to the context) is left out of the context Docker
   * would send: its own verdict, or an ancestor dir excluded and never walked into.
   */
  matches(relPath: string): boolean;
  /**
   * One step of a top-down walk: `parent` is the state of the directory holding `relPath`
   * (null at the top level). Evaluating from parent state is what Docker does, and it gives
   * different answers from a stateless "last match wins" in corner cases, so walkers use this.
   */
  evaluate(relPath: string, parent: MatchState | null): { excluded: boolean; state: MatchState };
  /** An excluded directory must still be walked when this is true (an exception may re-include below it). */
  mayHaveExceptionsUnder(dirRel: string): boolean;
}

/** Parses ignore-file text; `file` names it in errors (`file:line`). */
export function parseDockerignore(text: string, file: string): Matcher {
  const patterns: IgnorePattern[] = [];
  const lines = text.split("\n");
  // A pattern repeated (a `!` line undoing an earlier one) is compiled once.
  const compiled = new Map<string, PatternTest>();
  for (let i = 0; i < lines.length; i++) {
    const cleaned = normaliseLine(lines[i]!, i === 0);
    if (cleaned === null) continue;
    patterns.push(compilePattern(cleaned, `${file}:${i + 1}`, i + 1, compiled));
  }
  return createMatcher(patterns);
}

/** The pattern a line holds after Docker's normalisation, or null for comments and blanks. */
function normaliseLine(raw: string, first: boolean): string | null {
  let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (first && line.startsWith("\uFEFF")) line = line.slice(1);
  // Only a `#` in the first column is a comment: Docker checks before trimming.
  if (line.startsWith("#")) return null;
  line = line.trim();
  if (line === "") return null;
  const exception = line.startsWith("!");
  let body = exception ? line.slice(1).trim() : line;
  if (body !== "") {
    body = cleanPath(body);
    if (body.length > 1 && body.startsWith("/")) body = body.slice(1);
  }
  // The matcher cleans the whole line once more, `!` included; that is how "!/" becomes "!".
  return cleanPath(exception ? `!${body}` : body);
}

/** Go's `filepath.Clean` for POSIX paths: the result the matcher compares against. */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(segment);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

function compilePattern(cleaned: string, where: string, line: number, compiled: Map<string, PatternTest>): IgnorePattern {
  const exception = cleaned.startsWith("!");
  if (exception && cleaned.length === 1) {
    throw usageError('illegal exclusion pattern "!"', { where, hint: "write the path to re-include after the '!', e.g. '!devops/'" });
  }
  const text = exception ? cleaned.slice(1) : cleaned;
  const problem = globSyntaxError(text);
  if (problem) {
    throw usageError(`invalid pattern ${JSON.stringify(text)}: ${problem}`, {
      where,
      hint: "patterns use Go's filepath.Match syntax: * ? [a-z] [^a-z] \\x and ** for any depth",
    });
  }
  let tests = compiled.get(text);
  if (!tests) compiled.set(text, (tests = compileTest(text)));
  const { test, hitsAt } = tests;
  return { text, exception, line, test, hitsAt };
}

// ---------------------------------------------------------------- syntax check

/**
 * What Go's `filepath.Match` rejects (Docker refuses the ignore file for it), plus reversed
 * ranges like `[z-a]`, which Go's regexp compiler rejects when Docker first matches with them.
 */
function globSyntaxError(pattern: string): string | null {
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "\\") {
      if (i + 1 >= chars.length) return "trailing backslash";
      i++;
    } else if (c === "[") {
      const parsed = parseClass(chars, i);
      if (typeof parsed === "string") return parsed;
      i = parsed.end - 1;
    }
  }
  return null;
}

interface CharClass {
  negated: boolean;
  ranges: [number, number][];
  /** Index just past the closing `]`. */
  end: number;
}

/** Parses the class that opens at `chars[start]` (a `[`) the way Go's `filepath.Match` does. */
function parseClass(chars: readonly string[], start: number): CharClass | string {
  let i = start + 1;
  const negated = chars[i] === "^";
  if (negated) i++;
  const ranges: [number, number][] = [];
  for (;;) {
    if (chars[i] === "]" && ranges.length > 0) return { negated, ranges, end: i + 1 };
    const lo = classChar(chars, i);
    if (typeof lo === "string") return lo;
    i = lo.next;
    let hi = lo;
    if (chars[i] === "-") {
      const h = classChar(chars, i + 1);
      if (typeof h === "string") return h;
      hi = h;
      i = h.next;
    }
    if (lo.code > hi.code) return `reversed range in character class: ${chars.slice(start, i).join("")}`;
    ranges.push([lo.code, hi.code]);
  }
}

function classChar(chars: readonly string[], i: number): { code: number; next: number } | string {
  let c = chars[i];
  if (c === undefined) return "unterminated character class";
  if (c === "-" || c === "]") return `'${c}' must be escaped in a character class`;
  if (c === "\\") {
    i++;
    c = chars[i];
    if (c === undefined) return "unterminated character class";
  }
  // Go fails a class whose last char is not followed by anything: the `]` is missing.
  if (i + 1 >= chars.length) return "unterminated character class";
  return { code: c.codePointAt(0)!, next: i + 1 };
}

// ---------------------------------------------------------------- matching

/**
 * Docker turns each pattern into one of four tests; the non-regexp ones have quirks of their
 * own (`**foo` is "ends with foo", `foo**` is "starts with foo") that we keep. The regexp kind
 * is Docker's regexp run as an automaton (see `Program`), never as a backtracking RegExp.
 */
interface PatternTest {
  test(path: string): boolean;
  /**
   * One pass over `path`: whether the pattern matches the prefix that ends at each of `ends`
   * (ascending indices of `path`, each before a "/" or at the end).
   */
  hitsAt(path: string, ends: readonly number[]): Uint8Array;
}

function compileTest(pattern: string): PatternTest {
  const chars = Array.from(pattern);
  const ops: Op[] = [];
  let kind: "exact" | "prefix" | "suffix" | "regexp" = "exact";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "*" && chars[i + 1] === "*") {
      const start = i;
      i++;
      if (chars[i + 1] === "/") i++;
      if (i + 1 >= chars.length) {
        if (kind === "exact") kind = "prefix";
        else {
          ops.push({ kind: "any" });
          kind = "regexp";
        }
      } else {
        ops.push({ kind: "dirs" });
        kind = "regexp";
      }
      if (start === 0) kind = "suffix";
    } else if (c === "*") {
      ops.push({ kind: "name" });
      kind = "regexp";
    } else if (c === "?") {
      ops.push({ kind: "char", test: notSlash });
      kind = "regexp";
    } else if (c === "\\") {
      ops.push(literal(chars[++i]!));
      kind = "regexp";
    } else if (c === "[") {
      const cls = parseClass(chars, i) as CharClass;
      ops.push({ kind: "char", test: classTest(cls) });
      i = cls.end - 1;
      kind = "regexp";
    } else {
      ops.push(literal(c));
    }
  }
  const byPrefix = (path: string, ends: readonly number[], hit: (end: number) => boolean) => Uint8Array.from(ends, (end) => (hit(end) ? 1 : 0));
  switch (kind) {
    case "exact":
      return {
        test: (path) => path === pattern,
        hitsAt: (path, ends) => byPrefix(path, ends, (end) => end === pattern.length && path.startsWith(pattern)),
      };
    case "prefix": {
      const prefix = pattern.slice(0, -2);
      const starts = (path: string) => path.startsWith(prefix);
      return { test: starts, hitsAt: (path, ends) => byPrefix(path, ends, (end) => end >= prefix.length && starts(path)) };
    }
    case "suffix": {
      const suffix = pattern.slice(2);
      const whole = suffix.startsWith("/") ? suffix.slice(1) : null;
      const hit = (path: string, end: number) => path.endsWith(suffix, end) || (whole !== null && end === whole.length && path.startsWith(whole));
      return { test: (path) => hit(path, path.length), hitsAt: (path, ends) => byPrefix(path, ends, (end) => hit(path, end)) };
    }
    case "regexp": {
      const program = new Program(ops);
      return { test: (path) => program.test(path), hitsAt: (path, ends) => program.hitsAt(path, ends) };
    }
  }
}

// One step of Docker's pattern regexp: a char (literal, `?`, a class), `[^/]*` (`name`), `.*`
// (`any`, a trailing `**`) or `(.*/)?` (`dirs`, a `**` before more pattern).
// A literal char keeps its text, for the quick checks before the automaton runs.
type Op = { kind: "char"; test: (c: number) => boolean; text?: string } | { kind: "name" } | { kind: "any" } | { kind: "dirs" };

const SLASH = 47;
const NEWLINE = 10;
const notSlash = (c: number) => c !== SLASH;

function literal(ch: string): Op {
  const code = ch.codePointAt(0)!;
  return { kind: "char", test: (c) => c === code, text: ch };
}

// Like Docker's regexps, a class may match "/" (`a[^x]b` matches "a/b"): only * and ? stop at it.
function classTest(cls: CharClass): (c: number) => boolean {
  return (c) => cls.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== cls.negated;
}

/**
 * A pattern's ops as an automaton over the path's code points, never a backtracking RegExp (one
 * took 33 s for `*a*a*a*a*a*a*a*a*b` on a 60-char name, and `**` repeated six times minutes on
 * a deep path). The nondeterministic automaton (Thompson's construction) is turned into a
 * deterministic one lazily, a state the first time a path reaches it, as RE2 does: each char is
 * one table lookup, and at worst one step over the pattern's states when the transition is new.
 * So time is linear in the path whatever the pattern.
 *
 * Automaton states: `2*i` is "before op i" (`2*n` accepts), `2*i+1` is "inside the `.*` of the
 * dirs op i". `.` is Go's: anything but a newline.
 */
class Program {
  private readonly accept: number;
  /**
   * The deterministic states made so far, in flat tables: `next[s * 128 + c]` is the state after
   * ASCII char c (-1 while unknown), `other[s]` the same for the rest.
   */
  private next = new Int32Array(0);
  private other: (Map<number, number> | undefined)[] = [];
  private accepting: boolean[] = [];
  private dead: boolean[] = [];
  private sets: number[][] = [];
  private readonly byKey = new Map<string, number>();
  /**
   * The literal runs of the pattern, which every match holds in this order: `head` at its
   * start, `tail` at its end, `middle` between. Checked first, with native string search: most
   * patterns rule most paths out this way without the automaton (whose tables, for thousands of
   * patterns, do not stay in the CPU's caches).
   */
  private readonly head: string;
  private readonly tail: string;
  private readonly middle: readonly string[];

  constructor(private readonly ops: readonly Op[]) {
    this.accept = 2 * ops.length;
    const runs: string[] = [];
    let run = "";
    for (const op of ops) {
      if (op.kind === "char" && op.text !== undefined) run += op.text;
      else if (run) {
        runs.push(run);
        run = "";
      }
    }
    if (run) runs.push(run);
    const first = ops[0];
    const last = ops.at(-1);
    this.head = first?.kind === "char" && first.text !== undefined ? runs.shift()! : "";
    this.tail = last?.kind === "char" && last.text !== undefined && runs.length > 0 ? runs.pop()! : "";
    this.middle = runs;
  }

  /** Whether `path` (`whole`), or some prefix of it, holds the literal runs where a match has them. */
  private mayMatch(path: string, whole: boolean): boolean {
    if (!path.startsWith(this.head)) return false;
    let at = this.head.length;
    for (const run of this.middle) {
      const found = path.indexOf(run, at);
      if (found < 0) return false;
      at = found + run.length;
    }
    if (!whole) return this.tail === "" || path.indexOf(this.tail, at) >= 0;
    return path.length - this.tail.length >= at && path.endsWith(this.tail);
  }

  test(path: string): boolean {
    if (!this.mayMatch(path, true)) return false;
    let s = this.start();
    for (let i = 0; i < path.length && !this.dead[s]; ) {
      const c = path.charCodeAt(i);
      // Surrogate pairs go as one code point (Docker's regexp reads runes).
      const code = c >= 0xd800 && c <= 0xdbff ? path.codePointAt(i)! : c;
      i += code > 0xffff ? 2 : 1;
      s = this.step(s, code);
    }
    return this.accepting[s]!;
  }

  hitsAt(path: string, ends: readonly number[]): Uint8Array {
    const hits = new Uint8Array(ends.length);
    // A prefix of the path can hold only what the whole path holds.
    if (!this.mayMatch(path, false)) return hits;
    let s = this.start();
    let next = 0;
    for (let i = 0; ; ) {
      while (next < ends.length && ends[next]! === i) hits[next++] = this.accepting[s] ? 1 : 0;
      if (i >= path.length || next >= ends.length || this.dead[s]) break;
      const code = path.codePointAt(i)!;
      i += code > 0xffff ? 2 : 1;
      s = this.step(s, code);
    }
    return hits;
  }

  private step(s: number, code: number): number {
    const known = code < 128 ? this.next[s * 128 + code]! : (this.other[s]?.get(code) ?? -1);
    return known >= 0 ? known : this.transition(s, code);
  }

  private start(): number {
    // A bounded cache, as RE2 keeps: a pattern whose automaton keeps growing starts afresh.
    if (this.sets.length > MAX_DFA_STATES) {
      this.next = new Int32Array(0);
      this.other = [];
      this.accepting = [];
      this.dead = [];
      this.sets = [];
      this.byKey.clear();
    }
    if (this.sets.length === 0) {
      const set = new Set<number>();
      this.close(set, 0);
      this.stateOf(set);
    }
    // The first state made is the start.
    return 0;
  }

  /** The state after `s` on `c`, made and remembered the first time it is asked for. */
  private transition(s: number, c: number): number {
    const set = new Set<number>();
    for (const n of this.sets[s]!) {
      if (n === this.accept) continue;
      if (n % 2 === 1) {
        if (c !== NEWLINE) this.close(set, n);
        if (c === SLASH) this.close(set, n + 1);
        continue;
      }
      const op = this.ops[n / 2]!;
      if (op.kind === "char") {
        if (op.test(c)) this.close(set, n + 2);
      } else if (op.kind === "name") {
        if (c !== SLASH) this.close(set, n);
      } else if (op.kind === "any") {
        if (c !== NEWLINE) this.close(set, n);
      }
      // A dirs op's own state only leads on without a char (to its inside and past it).
    }
    const to = this.stateOf(set);
    if (c < 128) this.next[s * 128 + c] = to;
    else (this.other[s] ??= new Map()).set(c, to);
    return to;
  }

  /** Adds `n` and every state reachable from it without a char. */
  private close(set: Set<number>, n: number): void {
    if (set.has(n)) return;
    set.add(n);
    if (n % 2 === 1 || n === this.accept) return;
    const op = this.ops[n / 2]!;
    if (op.kind === "char") return;
    this.close(set, n + 2);
    if (op.kind === "dirs") this.close(set, n + 1);
  }

  private stateOf(set: Set<number>): number {
    const members = [...set].sort((a, b) => a - b);
    const key = members.join(",");
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    const index = this.sets.length;
    this.sets.push(members);
    this.accepting.push(set.has(this.accept));
    this.dead.push(members.length === 0);
    if (this.next.length < (index + 1) * 128) {
      const grown = new Int32Array(Math.max(4, (index + 1) * 2) * 128).fill(-1);
      grown.set(this.next);
      this.next = grown;
    }
    this.byKey.set(key, index);
    return index;
  }
}

const MAX_DFA_STATES = 2000;

function createMatcher(patterns: IgnorePattern[]): Matcher {
  const hasExceptions = patterns.some((p) => p.exception);
  const exceptionPrefixes = patterns.filter((p) => p.exception).map((p) => `${p.text}/`);

  // Docker's MatchesUsingParentResults: a pattern that matched the parent dir matches the
  // child; a pattern is only tried when it could change the verdict so far, and one skipped
  // that way counts as "not matched" for the children. Without parent state (top level, or a
  // stateless query) a pattern also matches when it matches any ancestor dir.
  function step(parent: MatchState | null, hit: (i: number) => boolean) {
    const state = new Uint8Array(patterns.length);
    let excluded = false;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      if ((parent !== null && parent[i] === 1) || (p.exception === excluded && hit(i))) {
        state[i] = 1;
        excluded = !p.exception;
      }
    }
    return { excluded, state };
  }

  function evaluate(relPath: string, parent: MatchState | null) {
    if (parent !== null || !relPath.includes("/")) return step(parent, (i) => patterns[i]!.test(relPath));
    const ends = segmentEnds(relPath);
    return step(null, (i) => patterns[i]!.hitsAt(relPath, ends).includes(1));
  }

  // Docker's test is textual: an exception whose text starts with "DIR/". So `!**/*.py`
  // never reaches into an excluded `src/`, while `!src/*.py` does. `path` is clean; its dir
  // ends at `end`. Compared within the prefix's length, so a deep path costs no more.
  const exceptionUnder = (path: string, end: number) =>
    exceptionPrefixes.some((prefix) => prefix.length > end && prefix.charCodeAt(end) === SLASH && path.startsWith(prefix.slice(0, end)));

  const matcher: Matcher = {
    patterns,
    hasExceptions,
    evaluate,
    matches(relPath) {
      const path = cleanPath(relPath);
      // Docker never lets the context root itself be excluded.
      if (path === "." || patterns.length === 0) return false;
      // The verdict for a path depends on its ancestors' states: walk down to it, with each
      // pattern run once over the whole path (per-ancestor runs made deep paths quadratic).
      const ends = segmentEnds(path);
      const hits: (Uint8Array | undefined)[] = [];
      let state: MatchState | null = null;
      for (let k = 0; ; k++) {
        const result = step(state, (i) => (hits[i] ??= patterns[i]!.hitsAt(path, ends))[k] === 1);
        if (k === ends.length - 1) return result.excluded;
        // Docker does not even walk into an excluded dir that no exception reaches into.
        if (result.excluded && !(hasExceptions && exceptionUnder(path, ends[k]!))) return true;
        state = result.state;
      }
    },
    mayHaveExceptionsUnder(dirRel) {
      if (!hasExceptions) return false;
      const dir = cleanPath(dirRel);
      return exceptionUnder(dir, dir.length);
    },
  };
  return matcher;
}

/** Where each of the path's prefixes ends: before every "/", and at the end. */
function segmentEnds(path: string): number[] {
  const ends: number[] = [];
  for (let slash = path.indexOf("/"); slash !== -1; slash = path.indexOf("/", slash + 1)) ends.push(slash);
  ends.push(path.length);
  return ends;
}

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
  for (let i = 0; i < lines.length; i++) {
    const cleaned = normaliseLine(lines[i]!, i === 0);
    if (cleaned === null) continue;
    patterns.push(compilePattern(cleaned, `${file}:${i + 1}`, i + 1));
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

function compilePattern(cleaned: string, where: string, line: number): IgnorePattern {
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
  return { text, exception, line, test: compileTest(text) };
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
 * own (`**foo` is "ends with foo", `foo**` is "starts with foo") that we keep.
 */
function compileTest(pattern: string): (path: string) => boolean {
  const chars = Array.from(pattern);
  let source = "^";
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
          source += ".*";
          kind = "regexp";
        }
      } else {
        source += "(?:.*/)?";
        kind = "regexp";
      }
      if (start === 0) kind = "suffix";
    } else if (c === "*") {
      source += "[^/]*";
      kind = "regexp";
    } else if (c === "?") {
      source += "[^/]";
      kind = "regexp";
    } else if (c === "\\") {
      source += escapeChar(chars[++i]!);
      kind = "regexp";
    } else if (c === "[") {
      const cls = parseClass(chars, i) as CharClass;
      source += classSource(cls);
      i = cls.end - 1;
      kind = "regexp";
    } else {
      source += escapeChar(c);
    }
  }
  switch (kind) {
    case "exact":
      return (path) => path === pattern;
    case "prefix": {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case "suffix": {
      const suffix = pattern.slice(2);
      const whole = suffix.startsWith("/") ? suffix.slice(1) : null;
      return (path) => path.endsWith(suffix) || path === whole;
    }
    case "regexp": {
      const re = new RegExp(`${source}$`, "u");
      return (path) => re.test(path);
    }
  }
}

// Like Docker's regexps, a class may match "/" (`a[^x]b` matches "a/b"): only * and ? stop at it.
function classSource(cls: CharClass): string {
  const hex = (code: number) => `\\u{${code.toString(16)}}`;
  const body = cls.ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join("");
  return `[${cls.negated ? "^" : ""}${body}]`;
}

// Only syntax characters (and "/") may be escaped in a unicode-mode RegExp.
const escapeChar = (c: string) => (/[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c);

function createMatcher(patterns: IgnorePattern[]): Matcher {
  const hasExceptions = patterns.some((p) => p.exception);
  const exceptionPrefixes = patterns.filter((p) => p.exception).map((p) => `${p.text}/`);

  // Docker's MatchesUsingParentResults: a pattern that matched the parent dir matches the
  // child; a pattern is only tried when it could change the verdict so far, and one skipped
  // that way counts as "not matched" for the children. Without parent state (top level, or a
  // stateless query) a pattern also matches when it matches any ancestor dir.
  function evaluate(relPath: string, parent: MatchState | null) {
    const state = new Uint8Array(patterns.length);
    let excluded = false;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      let hit = parent !== null && parent[i] === 1;
      if (!hit) {
        if (p.exception !== excluded) continue;
        hit = p.test(relPath) || (parent === null && matchesAncestor(p, relPath));
      }
      if (hit) {
        state[i] = 1;
        excluded = !p.exception;
      }
    }
    return { excluded, state };
  }

  const matcher: Matcher = {
    patterns,
    hasExceptions,
    evaluate,
    matches(relPath) {
      const path = cleanPath(relPath);
      // Docker never lets the context root itself be excluded.
      if (path === "." || patterns.length === 0) return false;
      // The verdict for a path depends on its ancestors' states: walk down to it.
      let state: MatchState | null = null;
      let from = 0;
      for (;;) {
        const slash = path.indexOf("/", from);
        const step = evaluate(slash === -1 ? path : path.slice(0, slash), state);
        if (slash === -1) return step.excluded;
        // Docker does not even walk into an excluded dir that no exception reaches into.
        if (step.excluded && !matcher.mayHaveExceptionsUnder(path.slice(0, slash))) return true;
        state = step.state;
        from = slash + 1;
      }
    },
    // Docker's test is textual: an exception whose text starts with "DIR/". So `!**/*.py`
    // never reaches into an excluded `src/`, while `!src/*.py` does.
    mayHaveExceptionsUnder(dirRel) {
      if (!hasExceptions) return false;
      const dirSlash = `${cleanPath(dirRel)}/`;
      return exceptionPrefixes.some((prefix) => prefix.startsWith(dirSlash));
    },
  };
  return matcher;
}

function matchesAncestor(p: IgnorePattern, relPath: string): boolean {
  for (let slash = relPath.indexOf("/"); slash !== -1; slash = relPath.indexOf("/", slash + 1)) {
    if (p.test(relPath.slice(0, slash))) return true;
  }
  return false;
}

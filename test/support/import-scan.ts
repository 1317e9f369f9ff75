// The imports of one TypeScript file, found by a small tokenizer rather than a regex over the
// text: an import written inside a comment, a string or a template is not code, and a regex
// literal holding a quote must not open a string that swallows the next lines.

export type ImportKind = "import" | "side-effect" | "export" | "dynamic" | "require";

export interface ImportRef {
  kind: ImportKind;
  /** 1-based line of the `import`/`export`/`require` keyword. */
  line: number;
  /** The specifier; absent when the argument of `import()` is not a plain string. */
  specifier?: string;
  /** `import type`/`export type`: erased at run time, yet a dependency all the same. */
  typeOnly: boolean;
  /** The source of an `import()` whose target cannot be known without running it. */
  unverifiable?: string;
}

interface Token {
  kind: "word" | "punct" | "string" | "template";
  /** A string's value; otherwise the token's source. */
  text: string;
  pos: number;
  line: number;
}

// After these words a `/` starts a regex literal; after any other word it divides.
const BEFORE_EXPRESSION = new Set([
  "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do",
  "else", "yield", "await",
]);

// Char codes, not regexes: this runs once per character of every source file.
function isWordChar(c: string): boolean {
  const n = c.charCodeAt(0);
  return (n >= 97 && n <= 122) || (n >= 65 && n <= 90) || (n >= 48 && n <= 57) || n === 95 || n === 36 || (n > 127 && !/\s/.test(c));
}

const isSpace = (c: string) =>
  c === " " || c === "\t" || c === "\r" || ((c === "\v" || c === "\f" || c.charCodeAt(0) > 127) && /\s/.test(c));

/** End of a regex literal starting at `i`, or -1 when the `/` cannot start one (it divides). */
function regexEnd(src: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === "\n") return -1; // a regex literal never spans lines
    if (c === "\\") {
      if (src[j + 1] === "\n") return -1;
      j++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "/") {
      j++;
      while (j < src.length && /[a-z]/i.test(src[j]!)) j++;
      return j;
    }
  }
  return -1;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // Which `}` closes a block and which resumes a template around a `${...}`.
  const braces: ("block" | "template")[] = [];
  let i = 0;
  let line = 1;
  let regexAllowed = true;
  if (src.startsWith("#!")) i = src.includes("\n") ? src.indexOf("\n") : src.length;

  const templateRest = () => {
    while (i < src.length) {
      const c = src[i]!;
      if (c === "\\") {
        if (src[i + 1] === "\n") line++;
        i += 2;
        continue;
      }
      if (c === "\n") line++;
      if (c === "`") {
        i++;
        regexAllowed = false;
        return;
      }
      if (c === "$" && src[i + 1] === "{") {
        i += 2;
        braces.push("template");
        regexAllowed = true;
        return;
      }
      i++;
    }
  };

  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    if (c === "\n") {
      line++;
      i++;
    } else if (isSpace(c)) {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) if (src[i] === "\n") line++;
    } else if (c === "'" || c === '"') {
      const startLine = line;
      let value = "";
      for (i++; i < src.length; i++) {
        const d = src[i]!;
        if (d === "\\") {
          if (src[i + 1] === "\n") line++;
          value += src[++i] ?? "";
        } else if (d === c) {
          i++;
          break;
        } else if (d === "\n") {
          break; // unterminated: the line's end closes it, so one typo cannot hide the file
        } else {
          value += d;
        }
      }
      tokens.push({ kind: "string", text: value, pos: start, line: startLine });
      regexAllowed = false;
    } else if (c === "`") {
      tokens.push({ kind: "template", text: "`", pos: start, line });
      i++;
      templateRest();
    } else if (isWordChar(c)) {
      while (i < src.length && isWordChar(src[i]!)) i++;
      const word = src.slice(start, i);
      tokens.push({ kind: "word", text: word, pos: start, line });
      regexAllowed = BEFORE_EXPRESSION.has(word);
    } else if (c === "/" && regexAllowed && regexEnd(src, i) > 0) {
      i = regexEnd(src, i);
      regexAllowed = false;
    } else if (c === "}" && braces.at(-1) === "template") {
      braces.pop();
      i++;
      templateRest();
    } else {
      const text = src.startsWith("...", i) ? "..." : c;
      if (c === "{") braces.push("block");
      if (c === "}") braces.pop();
      tokens.push({ kind: "punct", text, pos: start, line });
      i += text.length;
      regexAllowed = c !== ")" && c !== "]";
    }
  }
  return tokens;
}

const isPunct = (t: Token | undefined, text: string) => t?.kind === "punct" && t.text === text;
const isWord = (t: Token | undefined, text: string) => t?.kind === "word" && t.text === text;

/**
 * The specifier after the clause of an import or export declaration starting at `j`: names,
 * braces, commas and `*` up to `from "x"` outside the braces. Any other token means the
 * declaration imports nothing (`export const x = ...`, `export { a };`).
 */
function clauseSource(t: Token[], j: number): Token | undefined {
  let depth = 0;
  for (; j < t.length; j++) {
    const k = t[j]!;
    if (k.kind === "word") {
      if (depth === 0 && k.text === "from" && t[j + 1]?.kind === "string") return t[j + 1];
    } else if (k.kind === "string" && depth > 0) {
      // `{ "arbitrary name" as x }`
    } else if (isPunct(k, "{")) {
      depth++;
    } else if (isPunct(k, "}")) {
      if (--depth < 0) return undefined;
    } else if (!isPunct(k, ",") && !isPunct(k, "*")) {
      return undefined;
    }
  }
  return undefined;
}

/** Index of the `)` that closes the `(` at `open`. */
function closingParen(t: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < t.length; j++) {
    if (isPunct(t[j], "(")) depth++;
    if (isPunct(t[j], ")") && --depth === 0) return j;
  }
  return t.length - 1;
}

function dynamicImport(src: string, t: Token[], i: number): ImportRef | undefined {
  const { line } = t[i]!;
  const arg = t[i + 2];
  if (arg?.kind === "string" && (isPunct(t[i + 3], ")") || isPunct(t[i + 3], ","))) {
    return { kind: "dynamic", line, specifier: arg.text, typeOnly: false };
  }
  if (isPunct(arg, ")")) return undefined; // `import()` with no argument: a method named import
  const close = closingParen(t, i + 1);
  // `import(x) {` or `import(x: T): R {` declares a method named import; `c ? import(x) : y` calls.
  const after = t[close + 1];
  if (isPunct(after, "{") || (isPunct(after, ":") && !isPunct(t[i - 1], "?"))) return undefined;
  const end = (t[close]?.pos ?? src.length - 1) + 1;
  const source = src.slice(t[i]!.pos, end).replace(/\s+/g, " ");
  return { kind: "dynamic", line, typeOnly: false, unverifiable: source.length > 80 ? `${source.slice(0, 77)}...` : source };
}

/** Every import of `src`: static, type-only, re-exports, side-effect, `import()` and `require()`. */
export function parseImports(src: string): ImportRef[] {
  const t = tokenize(src);
  const refs: ImportRef[] = [];
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    if (tok.kind !== "word" || isPunct(t[i - 1], ".")) continue; // `x.import` is a property
    const next = t[i + 1];
    const { line } = tok;
    if (tok.text === "import") {
      if (isPunct(next, "(")) {
        const ref = dynamicImport(src, t, i);
        if (ref) refs.push(ref);
      } else if (next?.kind === "string") {
        refs.push({ kind: "side-effect", line, specifier: next.text, typeOnly: false });
      } else {
        const source = clauseSource(t, i + 1);
        // `import type from "x"` and `import type, {...}` name a default export `type`.
        const typeOnly = isWord(next, "type") && !isPunct(t[i + 2], ",") && !(isWord(t[i + 2], "from") && t[i + 3]?.kind === "string");
        if (source) refs.push({ kind: "import", line, specifier: source.text, typeOnly });
      }
    } else if (tok.text === "export") {
      const typeOnly = isWord(next, "type");
      const first = t[typeOnly ? i + 2 : i + 1];
      if (!isPunct(first, "{") && !isPunct(first, "*")) continue;
      const source = clauseSource(t, typeOnly ? i + 2 : i + 1);
      if (source) refs.push({ kind: "export", line, specifier: source.text, typeOnly });
    } else if (tok.text === "require") {
      // Bun allows require() in a module (src/ui/fd.ts uses it); a relative one is an edge too.
      if (isPunct(next, "(") && t[i + 2]?.kind === "string" && isPunct(t[i + 3], ")")) {
        refs.push({ kind: "require", line, specifier: t[i + 2]!.text, typeOnly: false });
      }
    }
  }
  return refs;
}

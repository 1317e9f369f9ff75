/**
 * Small, dependency-free helpers for the bounded fuzz tests of the unit suite: a seeded PRNG
 * (so a failure prints a seed and case number that reproduce it) and text mutators.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: tiny, fast, good enough for test input generation. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

/** The seed of a fuzz run: FUZZ_SEED from the environment, else a fixed one. */
export const fuzzSeed = (fallback: number) => {
  const fromEnv = Number.parseInt(process.env.FUZZ_SEED ?? "", 10);
  return Number.isFinite(fromEnv) ? fromEnv : fallback;
};

const UNICODE = [
  "é", "ß", "ø", "中", "文", "😀", "👍🏽", "\u200b", "\u00a0", "\u2028", "\u2029", "\ufeff", "\u0301", "\ud800", "\udfff",
  "\u202e", "Ω", "ﬁ", "١", "２", "\u3000", "\u0000", "\u0007", "\u001b", "\u007f",
];

/** A random character: mostly the syntax characters of the format under test, sometimes odd unicode. */
export function randomChar(r: Rng, syntax: string): string {
  const roll = r.next();
  if (roll < 0.45) return syntax[r.int(syntax.length)]!;
  if (roll < 0.65) return String.fromCharCode(32 + r.int(95));
  if (roll < 0.8) return r.pick(UNICODE);
  if (roll < 0.9) return r.pick(["\n", "\r\n", "\r", "\t", " ", "  "]);
  return String.fromCodePoint(r.int(0x2ffff));
}

/**
 * Applies 1..maxOps random mutations: delete / duplicate / swap / blank lines, insert, delete or
 * replace characters, insert random unicode, change indentation, splice a line from `donors`.
 */
export function mutate(r: Rng, text: string, syntax: string, donors: readonly string[] = [], maxOps = 4): string {
  let lines = text.split("\n");
  const ops = 1 + r.int(maxOps);
  for (let k = 0; k < ops; k++) {
    const i = r.int(Math.max(lines.length, 1));
    switch (r.int(11)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? "");
        break;
      case 2: {
        const j = r.int(Math.max(lines.length, 1));
        [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
        break;
      }
      case 3:
        lines.splice(i, 0, "");
        break;
      case 4:
      case 5: {
        const line = lines[i] ?? "";
        const at = r.int(line.length + 1);
        let ins = "";
        for (let n = 1 + r.int(3); n > 0; n--) ins += randomChar(r, syntax);
        lines[i] = line.slice(0, at) + ins + line.slice(at);
        break;
      }
      case 6: {
        const line = lines[i] ?? "";
        const at = r.int(line.length + 1);
        lines[i] = line.slice(0, at) + line.slice(at + 1 + r.int(4));
        break;
      }
      case 7: {
        const line = lines[i] ?? "";
        const at = r.int(line.length + 1);
        lines[i] = line.slice(0, at) + randomChar(r, syntax) + line.slice(at + 1);
        break;
      }
      case 8:
        lines[i] = r.chance(0.5) ? `${r.pick([" ", "  ", "\t", "    "])}${lines[i] ?? ""}` : (lines[i] ?? "").trimStart();
        break;
      case 9:
        if (donors.length > 0) lines.splice(i, 0, r.pick(donors));
        break;
      case 10:
        if (r.chance(0.2)) lines = lines.slice(0, i);
        else lines[i] = (lines[i] ?? "").split("").reverse().join("");
        break;
    }
  }
  const out = lines.join(r.chance(0.1) ? "\r\n" : "\n");
  return r.chance(0.05) ? `\ufeff${out}` : out;
}

/** Number of lines as the parsers count them (split on \n, \r\n). */
export const lineCount = (text: string) => text.split(/\r?\n/).length;

/** Root first, then plain code-unit order: the same on every machine and locale. */
export function byPath(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ".") return -1;
  if (b === ".") return 1;
  return a < b ? -1 : 1;
}

export const trimSlash = (p: string) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);

// What moved between two sets of Python packages (two locks, two images), in one form for both.

/** Normalized name (PEP 503) -> version; several versions of one name are joined by ", ". */
export type Packages = ReadonlyMap<string, string>;

export interface PackageChange {
  name: string;
  from: string;
  to: string;
}

export interface PackageDiff {
  changed: PackageChange[];
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
}

/** PEP 503: `Foo_Bar.baz` and `foo-bar-baz` are one project. */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** A map from a list of name/version pairs; a name listed twice keeps each of its versions. */
export function packagesFrom(list: readonly { name: string; version: string }[]): Map<string, string> {
  const versions = new Map<string, Set<string>>();
  for (const { name, version } of list) {
    const key = normalizeName(name);
    versions.set(key, (versions.get(key) ?? new Set()).add(version));
  }
  return new Map([...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, v]) => [name, [...v].sort().join(", ")]));
}

export function diffPackages(before: Packages, after: Packages): PackageDiff {
  const diff: PackageDiff = { changed: [], added: [], removed: [] };
  for (const [name, version] of after) {
    const old = before.get(name);
    if (old === undefined) diff.added.push({ name, version });
    else if (old !== version) diff.changed.push({ name, from: old, to: version });
  }
  for (const [name, version] of before) if (!after.has(name)) diff.removed.push({ name, version });
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  diff.changed.sort(byName);
  diff.added.sort(byName);
  diff.removed.sort(byName);
  return diff;
}

export const isEmptyDiff = (d: PackageDiff) => d.changed.length + d.added.length + d.removed.length === 0;

/** One line per package, sorted by name: `name: old -> new`, `name: added (v)`, `name: removed (v)`. */
export function diffLines(d: PackageDiff): string[] {
  const lines = [
    ...d.changed.map((c) => ({ name: c.name, text: `${c.name}: ${c.from} -> ${c.to}` })),
    ...d.added.map((a) => ({ name: a.name, text: `${a.name}: added (${a.version})` })),
    ...d.removed.map((r) => ({ name: r.name, text: `${r.name}: removed (${r.version})` })),
  ];
  return lines.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((l) => l.text);
}

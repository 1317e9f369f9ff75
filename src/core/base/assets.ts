import { assets } from "../../generated/assets.ts";

/** Files that must be executable when written out or packed into a build context. */
export const isExecutableAsset = (path: string) => path.endsWith(".sh") || /(^|\/)dev_scripts\//.test(path);

export function asset(path: string): string {
  const text = assets[path];
  if (text === undefined) throw new Error(`missing embedded asset ${path}`);
  return text;
}

/** Embedded files under a prefix, keyed by their path below it. */
export function assetsUnder(prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  const p = prefix.endsWith("/") ? prefix : `${prefix}/`;
  for (const [path, text] of Object.entries(assets)) if (path.startsWith(p)) out.set(path.slice(p.length), text);
  return out;
}

/** `{{key}}` placeholders filled from `values`. */
export const fillTemplate = (text: string, values: Record<string, string>) =>
  text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m);

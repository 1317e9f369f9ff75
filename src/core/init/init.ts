import { lstatSync } from "node:fs";
import { join, relative } from "node:path";
import { assetsUnder, fillTemplate, asset } from "../base/assets.ts";
import { initialChangelog, today } from "../version/changelog.ts";
import { loadConfig, sanitizeName } from "../config/config.ts";
import { exists } from "../base/fs-util.ts";
import { writeFileAtomic } from "../base/fs-util.ts";
import { findWorkspaceRoot } from "../workspace/workspace.ts";

export interface InitOptions {
  dir: string;
  image?: string;
  registry?: string;
  baseImage?: string;
  force?: boolean;
  date?: string;
}

export interface InitResult {
  root: string;
  dir: string;
  written: string[];
  /** Files left as they were: `exists` without --force; `yours` are never replaced (history, settings). */
  kept: { path: string; why: "exists" | "yours" }[];
  gitRepo: boolean;
}

/**
 * Files that hold the user's history and settings, not dt's templates: `--force` never replaces
 * them (a changelog's entries are the versions of released images), nor any symlink.
 */
const YOURS = new Set(["changelog.txt", "pytest.ini", "dt.yaml"]);

/** Planned files of `dt init`, relative to the workspace root, and their content. */
function planInit(root: string, options: InitOptions): Map<string, { text: string; mode: number }> {
  const relDir = relative(root, options.dir).split("\\").join("/");
  const prefix = relDir ? `${relDir}/` : "";
  // The names dt would use anyway: the older config's, the origin's, the dir's (config.ts).
  const known = knownNames(root, relDir || ".");
  const name = sanitizeName(options.image ?? known.image);
  const files = new Map<string, { text: string; mode: number }>();
  files.set(`${prefix}changelog.txt`, { text: initialChangelog(name, options.date ?? today()), mode: 0o644 });
  for (const [path, text] of assetsUnder("templates/devops")) {
    files.set(`${prefix}devops/${path}`, { text, mode: path.endsWith(".sh") ? 0o755 : 0o644 });
  }
  files.set(`${prefix}pytest.ini`, { text: asset("templates/pytest.ini"), mode: 0o644 });
  const rootYaml = fillTemplate(asset("templates/dt.yaml"), {
    name: known.name,
    base_image: options.baseImage ?? "python:3.12-slim",
  });
  const extra = [options.registry ? `registry: ${options.registry}` : "", !relDir && options.image ? `image: ${name}` : ""].filter(Boolean);
  files.set("dt.yaml", { text: extra.length ? `${rootYaml}${extra.join("\n")}\n` : rootYaml, mode: 0o644 });
  if (relDir && options.image) files.set(`${prefix}dt.yaml`, { text: `image: ${name}\n`, mode: 0o644 });
  return files;
}

/** A symlink (the older toolchain's shared devops): the repo's own choice, never replaced. */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The workspace name and the dir's image as configuration resolves them; a broken config falls back to dir names. */
function knownNames(root: string, relDir: string): { name: string; image: string } {
  try {
    const { config } = loadConfig(root, relDir);
    return { name: config.name, image: config.image };
  } catch {
    return { name: sanitizeName(root.split("/").at(-1)!), image: sanitizeName((relDir === "." ? root : relDir).split("/").at(-1)!) };
  }
}

/** Makes a dir runnable; never overwrites a file unless `force`, and never the user's history. */
export function initRunnable(options: InitOptions): InitResult {
  let root: string;
  let gitRepo = true;
  try {
    root = findWorkspaceRoot(options.dir);
  } catch {
    root = options.dir;
    gitRepo = false;
  }
  const written: string[] = [];
  const kept: InitResult["kept"] = [];
  for (const [path, file] of planInit(root, options)) {
    const abs = join(root, path);
    if (exists(abs) && (!options.force || YOURS.has(path.split("/").at(-1)!) || isLink(abs))) {
      kept.push({ path, why: options.force ? "yours" : "exists" });
      continue;
    }
    writeFileAtomic(abs, file.text, file.mode);
    written.push(path);
  }
  return { root, dir: options.dir, written, kept, gitRepo };
}

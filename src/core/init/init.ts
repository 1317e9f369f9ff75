import { join, relative } from "node:path";
import { assetsUnder, fillTemplate, asset } from "../base/assets.ts";
import { initialChangelog, today } from "../version/changelog.ts";
import { sanitizeName } from "../config/config.ts";
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
  kept: string[];
  gitRepo: boolean;
}

/** Planned files of `dt init`, relative to the workspace root, and their content. */
function planInit(root: string, options: InitOptions): Map<string, { text: string; mode: number }> {
  const relDir = relative(root, options.dir).split("\\").join("/");
  const prefix = relDir ? `${relDir}/` : "";
  const name = sanitizeName(options.image ?? (relDir ? relDir.split("/").at(-1)! : root.split("/").at(-1)!));
  const files = new Map<string, { text: string; mode: number }>();
  files.set(`${prefix}changelog.txt`, { text: initialChangelog(name, options.date ?? today()), mode: 0o644 });
  for (const [path, text] of assetsUnder("templates/devops")) {
    files.set(`${prefix}devops/${path}`, { text, mode: path.endsWith(".sh") ? 0o755 : 0o644 });
  }
  files.set(`${prefix}pytest.ini`, { text: asset("templates/pytest.ini"), mode: 0o644 });
  const rootYaml = fillTemplate(asset("templates/dt.yaml"), {
    name: sanitizeName(root.split("/").at(-1)!),
    base_image: options.baseImage ?? "python:3.12-slim",
  });
  const extra = [options.registry ? `registry: ${options.registry}` : "", !relDir && options.image ? `image: ${name}` : ""].filter(Boolean);
  files.set("dt.yaml", { text: extra.length ? `${rootYaml}${extra.join("\n")}\n` : rootYaml, mode: 0o644 });
  if (relDir && options.image) files.set(`${prefix}dt.yaml`, { text: `image: ${name}\n`, mode: 0o644 });
  return files;
}

/** Makes a dir runnable; never overwrites a file unless `force`. */
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
  const kept: string[] = [];
  for (const [path, file] of planInit(root, options)) {
    const abs = join(root, path);
    if (exists(abs) && !options.force) {
      kept.push(path);
      continue;
    }
    writeFileAtomic(abs, file.text, file.mode);
    written.push(path);
  }
  return { root, dir: options.dir, written, kept, gitRepo };
}

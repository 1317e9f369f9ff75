// Generates the build context `bench/pack.sh` packs, and prints its path.
//
//   node_modules/.bin/bun bench/pack-gen.ts [--force]
//
// 20,000 files in a Python-project layout: 16,000 sources of 200 B-8 KB under src/, 8 assets
// of 3 MB (streamed in chunks, not read whole), and 3,992 files the .dockerignore excludes
// (__pycache__/*.pyc beside the sources, a .git dir, data/). Sizes come from a seeded generator,
// so every machine gets the same tree.
//
// Cached under $DT_BENCH_CACHE (default /tmp) in a dir named by VERSION: change a parameter,
// bump VERSION. The tree is only used once its stamp file exists.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const VERSION = "pack-v1-20000f";
const PACKAGES = 40;
const MODULES_PER_PACKAGE = 20;
const FILES_PER_MODULE = 20; // 40 * 20 * 20 = 16,000 sources
const PYC_PER_MODULE = 4; // 3,200 excluded
const GIT_OBJECTS = 592;
const DATA_FILES = 200;
const ASSETS = 8;

export const DOCKERIGNORE = `# bench: what a prod context typically leaves out
.git
**/__pycache__/
**/*.pyc
data/
!data/README.md
.venv/
`;

const cacheRoot = process.env.DT_BENCH_CACHE ?? "/tmp";
const base = join(cacheRoot, `dt-bench-${VERSION}`);
const tree = join(base, "ctx");
const stamp = join(base, "READY");

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(dir: string): number {
  const random = rng(42);
  const filler = Buffer.alloc(8192, "x = 1  # filler line of a python module\n");
  let files = 0;
  const write = (rel: string, bytes: number | Buffer) => {
    const path = join(dir, rel);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, typeof bytes === "number" ? filler.subarray(0, bytes) : bytes);
    files++;
  };
  for (let p = 0; p < PACKAGES; p++) {
    for (let m = 0; m < MODULES_PER_PACKAGE; m++) {
      const mod = `src/pkg${p}/mod${m}`;
      for (let f = 0; f < FILES_PER_MODULE; f++) write(`${mod}/file${f}.py`, 200 + Math.floor(random() * 8000));
      for (let f = 0; f < PYC_PER_MODULE; f++) write(`${mod}/__pycache__/file${f}.cpython-312.pyc`, 1000);
    }
  }
  for (let i = 0; i < GIT_OBJECTS; i++) write(`.git/objects/${(i % 256).toString(16).padStart(2, "0")}/obj${i}`, 300);
  for (let i = 0; i < DATA_FILES - 1; i++) write(`data/part-${i}.csv`, 4000);
  write("data/README.md", 100);
  const asset = Buffer.alloc(3 * 1024 * 1024, 7);
  for (let i = 0; i < ASSETS; i++) write(`assets/blob${i}.bin`, asset);
  write(".dockerignore", Buffer.from(DOCKERIGNORE));
  return files;
}

export function benchTree(force = false): string {
  if (existsSync(stamp) && !force) return tree;
  rmSync(base, { recursive: true, force: true });
  const staging = join(base, "staging");
  mkdirSync(staging, { recursive: true });
  const files = generate(staging);
  renameSync(staging, tree);
  writeFileSync(stamp, `${files} files\n`);
  return tree;
}

if (import.meta.main) console.log(benchTree(process.argv.includes("--force")));

// Collects and packs a build context the way `dt docker build` does, writing the tar to
// stdout (or, with --list FILE, writing the packed paths for `tar -T` instead).
//
//   node_modules/.bin/bun bench/pack-context.ts DIR [--list FILE] > out.tar
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { collectContext } from "../src/core/build/context.ts";
import { lentTarChunks } from "../src/core/build/tar-writer.ts";

const [dir, flag, listFile] = process.argv.slice(2);
if (!dir) throw new Error("usage: pack-context.ts DIR [--list FILE]");

const ignoreText = readFileSync(join(dir, ".dockerignore"), "utf8");
const { entries } = collectContext(dir, { text: ignoreText, file: ".dockerignore" });

if (flag === "--list" && listFile) {
  writeFileSync(listFile, entries.map((e) => `${e.path}\n`).join(""));
} else {
  // Plain writes to fd 1, as the engine upload writes each lent chunk to its socket
  // (src/core/engine-upload.ts): the bench measures the packer, not a stream wrapper.
  for (const chunk of lentTarChunks(entries)) {
    for (let done = 0; done < chunk.byteLength; ) done += writeSync(1, chunk, done);
  }
}
// As dt itself ends (src/main.ts: process.exit after its cleanups), not by draining the event
// loop and tearing the heap down.
process.exit(0);

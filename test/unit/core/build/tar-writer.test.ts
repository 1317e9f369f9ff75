import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { collectContext } from "../../../../src/core/build/context.ts";
import type { ContextEntry } from "../../../../src/core/build/context-entry.ts";
import { CHUNK_BYTES, lentTarChunks, tarSize } from "../../../../src/core/build/tar-writer.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

/** The archive as a consumer must take it: each lent chunk copied before the next is asked for. */
function copies(entries: readonly ContextEntry[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of lentTarChunks(entries)) out.push(Buffer.from(chunk));
  return out;
}

const archive = (entries: readonly ContextEntry[]) => Buffer.concat(copies(entries));

async function names(bytes: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  ex.on("entry", (header, body, next) => {
    const parts: Buffer[] = [];
    body.on("data", (c: unknown) => parts.push(c as Buffer));
    body.on("end", () => {
      out.set(header.name, Buffer.concat(parts));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on("finish", resolve);
    ex.on("error", reject);
    Readable.from([bytes]).pipe(ex);
  });
  return out;
}

describe("lentTarChunks", () => {
  test("lends one buffer: a chunk kept past the next one is overwritten (callers must copy)", () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 40; i++) tree[`f${i}`] = String.fromCharCode(97 + (i % 26)).repeat(8000);
    const { entries } = collectContext(testdir(tree).path, null);
    const kept = [...lentTarChunks(entries)];
    expect(kept.length).toBeGreaterThan(2);
    expect(new Set(kept.map((c) => c.buffer)).size).toBe(1);
    const honest = Buffer.concat(copies(entries));
    expect(Buffer.concat(kept).equals(honest)).toBe(false);
  });

  test("adds up to tarSize() and every chunk fits the buffer, across sizes, PAX names and links", async () => {
    const sizes = [0, 1, 511, 512, 513, CHUNK_BYTES - 1024, CHUNK_BYTES - 512, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 7];
    const tree: Record<string, string> = {};
    for (const size of sizes) tree[`f${String(size).padStart(7, "0")}`] = "x".repeat(size);
    tree[`${"n".repeat(120)}/${"ü".repeat(90)}.txt`] = "pax name";
    const dir = testdir(tree).path;
    symlinkSync(`${"t".repeat(150)}`, join(dir, "far"));
    const injected = new Map([["devops/big", { text: "t".repeat(2 * CHUNK_BYTES + 3), mode: 0o644 }]]);
    const { entries } = collectContext(dir, null, injected);
    let total = 0;
    for (const chunk of lentTarChunks(entries)) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      expect(chunk.byteLength).toBeLessThanOrEqual(CHUNK_BYTES);
      total += chunk.byteLength;
    }
    expect(total).toBe(tarSize(entries));
    const read = await names(archive(entries));
    for (const size of sizes) expect(read.get(`f${String(size).padStart(7, "0")}`)!.byteLength).toBe(size);
    expect(read.get("devops/big")!.toString()).toBe("t".repeat(2 * CHUNK_BYTES + 3));
    expect(read.get(`${"n".repeat(120)}/${"ü".repeat(90)}.txt`)!.toString()).toBe("pax name");
  });

  test("a file that grew since it was collected is cut at its collected size; the archive stays whole", async () => {
    const dir = testdir({ "a.txt": "four", "b.txt": "next" }).path;
    const { entries } = collectContext(dir, null);
    appendFileSync(join(dir, "a.txt"), "and more");
    const bytes = archive(entries);
    expect(bytes.byteLength).toBe(tarSize(entries));
    const read = await names(bytes);
    expect(read.get("a.txt")!.toString()).toBe("four");
    expect(read.get("b.txt")!.toString()).toBe("next");
  });

  test("a file deleted or replaced by a directory since it was collected throws, naming it", () => {
    const dir = testdir({ "gone.txt": "x", "now-a-dir": "y" }).path;
    const { entries } = collectContext(dir, null);
    rmSync(join(dir, "gone.txt"));
    expect(() => copies(entries)).toThrow(/gone\.txt changed while the build context was being packed \(ENOENT\)/);
    writeFileSync(join(dir, "gone.txt"), "x");
    rmSync(join(dir, "now-a-dir"));
    mkdirSync(join(dir, "now-a-dir"));
    expect(() => copies(entries)).toThrow(/now-a-dir changed while the build context was being packed \(EISDIR\)/);
  });

  test("a file that shrank throws, naming it", () => {
    const dir = testdir({ "big.bin": "y".repeat(3 * CHUNK_BYTES) }).path;
    const { entries } = collectContext(dir, null);
    writeFileSync(join(dir, "big.bin"), "y");
    expect(() => copies(entries)).toThrow(/big\.bin shrank/);
  });
});

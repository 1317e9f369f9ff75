// Release build: one standalone `dt` binary per OS/arch, plus SHA256SUMS for install.sh.
//
//   bun scripts/build.ts                      all targets into dist/
//   bun scripts/build.ts --target linux-x64   only some (repeatable)
//   bun scripts/build.ts --outdir /tmp/rel
//
// Assets imported with `with { type: "text" }` are bundled into the binaries, so a release
// is exactly these files. Cross-compiling downloads Bun's runtime for each foreign target
// once (from the npm registry) and caches it.
import { lazyHeavyModules } from "./lazy-modules.ts";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json";

/** dt's release name (`dt-OS-ARCH`, as install.sh asks for it) → Bun's compile target. */
export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
} as const satisfies Record<string, Bun.Build.CompileTarget>;

export type TargetName = keyof typeof TARGETS;

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = join(ROOT, "src", "main.ts");

const USAGE = `usage: bun scripts/build.ts [--target NAME]... [--outdir DIR]

  --target NAME   build only this target (repeatable); one of: ${Object.keys(TARGETS).join(", ")}
  --outdir DIR    where binaries and SHA256SUMS go (default: dist)`;

function fail(message: string): never {
  console.error(`build: ${message}`);
  process.exit(1);
}

function parseCli(argv: string[]): { targets: TargetName[]; outdir: string } {
  let values: { target?: string[]; outdir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: "string", multiple: true },
        outdir: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const names = Object.keys(TARGETS) as TargetName[];
  const targets = values.target ?? names;
  for (const t of targets) {
    if (!names.includes(t as TargetName)) fail(`unknown target "${t}"; expected one of: ${names.join(", ")}`);
  }
  // Keep the table's order whatever the order on the command line, and drop repeats.
  return { targets: names.filter((n) => targets.includes(n)), outdir: resolve(values.outdir ?? join(ROOT, "dist")) };
}

/** Checks the file header, so a wrong target string can't ship a host binary under a foreign name. */
async function checkFormat(path: string, name: TargetName): Promise<string | undefined> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 20).arrayBuffer());
  const view = new DataView(head.buffer);
  const [os, arch] = name.split("-") as ["linux" | "darwin", "x64" | "arm64"];
  if (os === "linux") {
    const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
    const machine = elf ? view.getUint16(18, true) : -1; // e_machine: 0x3e x86-64, 0xb7 aarch64
    return machine === (arch === "x64" ? 0x3e : 0xb7) ? undefined : `not a Linux ${arch} ELF executable`;
  }
  const macho = view.getUint32(0, true) === 0xfeedfacf; // MH_MAGIC_64, little-endian
  const cpu = macho ? view.getUint32(4, true) : -1; // cputype: 0x01000007 x86_64, 0x0100000c arm64
  return cpu === (arch === "x64" ? 0x01000007 : 0x0100000c) ? undefined : `not a macOS ${arch} Mach-O executable`;
}

/** `src/x.ts:3:7: message`, so the failing line can be opened from the terminal. */
function describeLog(log: unknown): string {
  const { message, position } = (log ?? {}) as Partial<BuildMessage>;
  if (typeof message !== "string") return String(log);
  if (!position) return message;
  return `${relative(ROOT, position.file)}:${position.line}:${position.column}: ${message}`;
}

async function buildOne(name: TargetName, outfile: string, version: string): Promise<string | undefined> {
  try {
    const result = await Bun.build({
      entrypoints: [ENTRY],
      compile: {
        target: TARGETS[name],
        outfile,
        // dt runs inside users' repos: their .env and bunfig.toml are not dt's configuration.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
      minify: true,
      // Lazily imported modules (dockerode and friends) become separate chunks, and bytecode
      // spares the parse: `dt --help` pays for neither (see docs/benchmarks.md).
      splitting: true,
      bytecode: true,
      format: "esm",
      define: { __DT_VERSION__: JSON.stringify(version) },
      plugins: [lazyHeavyModules],
      throw: false,
    });
    if (!result.success) return result.logs.map(describeLog).join("\n") || "Bun.build reported failure";
  } catch (error) {
    return error instanceof AggregateError ? error.errors.map(describeLog).join("\n") : String(error);
  }
  if (!(await Bun.file(outfile).exists())) return `Bun.build succeeded but wrote no ${outfile}`;
  return checkFormat(outfile, name);
}

function hostTarget(): TargetName | undefined {
  const name = `${process.platform}-${process.arch}`;
  return name in TARGETS ? (name as TargetName) : undefined;
}

/** Runs the binary we can run here: a release whose `dt --version` is wrong must not ship. */
async function smokeTest(path: string, file: string, version: string): Promise<string | undefined> {
  const proc = Bun.spawn([path, "--version"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) return `\`${file} --version\` exited ${code}: ${(err || out).trim()}`;
  if (!out.includes(version)) return `\`${file} --version\` printed "${out.trim()}", expected ${version}`;
  return undefined;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  const { targets, outdir } = parseCli(Bun.argv.slice(2));
  const version = pkg.version;
  await mkdir(outdir, { recursive: true });
  // A SHA256SUMS left from an earlier build would vouch for binaries this run replaces.
  const sumsPath = join(outdir, "SHA256SUMS");
  await rm(sumsPath, { force: true });

  const shown = relative(process.cwd(), outdir);
  console.log(`dt ${version}: building ${targets.join(", ")} into ${shown.startsWith("..") ? outdir : shown || "."}`);
  const failures: string[] = [];
  const sums: string[] = [];
  const host = hostTarget();
  for (const name of targets) {
    const file = `dt-${name}`;
    const outfile = join(outdir, file);
    // Built under a temp name and renamed when checked, so no one (a test running dist/dt-*
    // meanwhile) ever sees a half-written or unchecked binary.
    const partial = join(outdir, `.${file}.${process.pid}.tmp`);
    const started = performance.now();
    let problem = await buildOne(name, partial, version);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (!problem && name === host) problem = await smokeTest(partial, file, version);
    if (problem) {
      console.log(`  ${name.padEnd(13)} FAILED  ${seconds}s`);
      failures.push(`${name} (${TARGETS[name]}):\n${problem.replace(/^/gm, "    ")}`);
      await rm(partial, { force: true });
      await rm(outfile, { force: true }); // an older build under this name would pass for this one
      continue;
    }
    const bytes = await readFile(partial);
    const hash = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    await rename(partial, outfile);
    sums.push(`${hash}  ${file}`);
    console.log(`  ${name.padEnd(13)} ${mb(bytes.byteLength).padStart(9)}  ${seconds.padStart(5)}s  ${file}`);
  }

  if (failures.length > 0) {
    fail(`${failures.length} of ${targets.length} target(s) failed; no SHA256SUMS written.\n  ${failures.join("\n  ")}`);
  }
  await Bun.write(`${sumsPath}.tmp`, `${sums.join("\n")}\n`);
  await rename(`${sumsPath}.tmp`, sumsPath);
  console.log(`  SHA256SUMS    ${sums.length} entr${sums.length === 1 ? "y" : "ies"}`);
}

if (import.meta.main) await main();

// A Python package index on 127.0.0.1 for tests that resolve and install with poetry offline:
// tiny pure-Python projects built into wheels with Debian's python3-build (setuptools backend,
// no isolation, so nothing is fetched), laid out as a PEP 503 simple index, served by
// `python3 -m http.server` bound to loopback. The test starts it and stops it by its pid.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { testdir } from "./fixtures.ts";

export interface PyIndex {
  /** `http://127.0.0.1:PORT/simple/`, for `[[tool.poetry.source]] url`. */
  url: string;
  /** Builds each NAME==VERSION (requiring `requires`, PEP 508 strings), at once, and adds them to the index. */
  publish(...projects: { name: string; version: string; requires?: string[] }[]): Promise<void>;
  stop(): Promise<void>;
}

// Debian's python, where the bed installs python3-build; `python3` on PATH may be another one.
const PYTHON = "/usr/bin/python3";

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

async function buildWheel(work: string, name: string, version: string, requires: string[]): Promise<string> {
  const src = join(work, "src", `${normalize(name)}-${version}`);
  const module = normalize(name).replace(/-/g, "_");
  mkdirSync(join(src, module), { recursive: true });
  writeFileSync(join(src, module, "__init__.py"), `VERSION = "${version}"\n`);
  writeFileSync(
    join(src, "pyproject.toml"),
    [
      "[build-system]",
      'requires = ["setuptools"]',
      'build-backend = "setuptools.build_meta"',
      "",
      "[project]",
      `name = "${name}"`,
      `version = "${version}"`,
      `dependencies = [${requires.map((r) => JSON.stringify(r)).join(", ")}]`,
      "",
      "[tool.setuptools]",
      `packages = ["${module}"]`,
      "",
    ].join("\n"),
  );
  const out = join(work, "dist", `${module}-${version}`);
  const proc = Bun.spawn([PYTHON, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, src], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`building the wheel of ${name} ${version} failed:\n${stdout}\n${stderr}`);
  const wheel = readdirSync(out).find((f) => f.startsWith(`${module}-${version}-`) && f.endsWith(".whl"));
  if (!wheel) throw new Error(`no wheel of ${name} ${version} in ${out}`);
  return join(out, wheel);
}

/** The project's page of the simple index: every file it has, with its sha256 as poetry wants it. */
function writeProjectPage(dir: string): void {
  const links = readdirSync(dir)
    .filter((f) => f.endsWith(".whl"))
    .sort()
    .map((f) => `<a href="${f}#sha256=${createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")}">${f}</a><br/>`);
  writeFileSync(join(dir, "index.html"), `<!DOCTYPE html>\n<html><body>\n${links.join("\n")}\n</body></html>\n`);
}

async function serve(root: string): Promise<{ proc: Subprocess; port: number }> {
  // Port 0: the kernel picks a free one; http.server prints it.
  const proc = Bun.spawn([PYTHON, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
    const port = /port (\d+)/.exec(seen)?.[1];
    if (port) {
      reader.releaseLock();
      return { proc, port: Number(port) };
    }
  }
  proc.kill();
  throw new Error(`python3 -m http.server did not start: ${seen}`);
}

export async function startPyIndex(): Promise<PyIndex> {
  const dir = testdir();
  const simple = join(dir.path, "www", "simple");
  mkdirSync(simple, { recursive: true });
  const { proc, port } = await serve(join(dir.path, "www"));
  // A test file that dies before its afterAll must not leave the server running.
  const killOnExit = () => proc.kill();
  process.on("exit", killOnExit);
  const projects = new Set<string>();
  const writeRoot = () =>
    writeFileSync(join(simple, "index.html"), `<!DOCTYPE html>\n<html><body>\n${[...projects].sort().map((p) => `<a href="${p}/">${p}</a><br/>`).join("\n")}\n</body></html>\n`);
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    async publish(...list) {
      const wheels = await Promise.all(list.map((p) => buildWheel(join(dir.path, "work"), p.name, p.version, p.requires ?? [])));
      for (const [i, wheel] of wheels.entries()) {
        const name = normalize(list[i]!.name);
        const project = join(simple, name);
        mkdirSync(project, { recursive: true });
        copyFileSync(wheel, join(project, wheel.split("/").pop()!));
        writeProjectPage(project);
        projects.add(name);
      }
      writeRoot();
    },
    async stop() {
      process.off("exit", killOnExit);
      proc.kill();
      await proc.exited;
      dir.cleanup();
    },
  };
}

// Runs the dt binary under test: the compiled `dist/dt-linux-x64` (what users get), built
// once on demand when missing. DT_BIN overrides it (e.g. `DT_BIN="bun src/main.ts"`).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gitEnv } from "./fixtures.ts";

const repoRoot = join(import.meta.dir, "..", "..");

let built: string[] | undefined;

export function dtArgv(): string[] {
  if (built) return built;
  if (process.env.DT_BIN) return (built = process.env.DT_BIN.split(" "));
  const bin = join(repoRoot, "dist", "dt-linux-x64");
  if (!existsSync(bin)) {
    const r = Bun.spawnSync(["node_modules/.bin/bun", "scripts/build.ts", "--target", "linux-x64"], {
      cwd: repoRoot,
      stdout: "inherit",
      stderr: "inherit",
    });
    if (r.exitCode !== 0 || !existsSync(bin)) throw new Error("could not build dist/dt-linux-x64");
  }
  return (built = [bin]);
}

export interface DtResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface DtOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
}

/** Runs dt with argv in cwd, with the tests' isolated git environment and no colour. */
export async function dt(args: string[], options: DtOptions): Promise<DtResult> {
  const started = performance.now();
  const env: Record<string, string> = { ...gitEnv(), NO_COLOR: "1" };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const proc = Bun.spawn([...dtArgv(), ...args], {
    cwd: options.cwd,
    env,
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr, ms: performance.now() - started };
}

/** The same, parsing stdout as the one JSON document `--json` promises. */
export async function dtJson<T = any>(args: string[], options: DtOptions): Promise<{ result: DtResult; json: T }> {
  const result = await dt(args, options);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout of dt ${args.join(" ")} is not one JSON document (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { result, json };
}

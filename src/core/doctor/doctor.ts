import { join } from "node:path";
import { parseChangelog } from "../version/changelog.ts";
import { loadConfig, type DtConfig } from "../config/config.ts";
import { credentialSource, readDockerConfig, registryHost } from "../registry/docker-config.ts";
import type { Engine } from "../engine/engine.ts";
import { DtError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { gitRaw } from "../git/git.ts";
import { canRunPlatform, hostPlatform } from "../base/platform.ts";
import { scanWorkspace, type Workspace } from "../workspace/workspace.ts";

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

const ok = (name: string, detail: string): Check => ({ name, status: "ok", detail });
const fail = (name: string, detail: string, fix?: string): Check => ({ name, status: "fail", detail, fix });
const warn = (name: string, detail: string, fix?: string): Check => ({ name, status: "warn", detail, fix });
const fromError = (name: string, e: unknown): Check =>
  e instanceof DtError ? fail(name, `${e.where ? `${e.where}: ` : ""}${e.message}`, e.hint) : fail(name, String(e));

async function checkGit(cwd: string): Promise<Check> {
  try {
    const r = await gitRaw(["--version"], cwd);
    return r.code === 0 ? ok("git", r.stdout.trim()) : fail("git", r.stderr.trim(), "reinstall git");
  } catch (e) {
    return fromError("git", e);
  }
}

async function checkEngine(engine: Engine): Promise<{ check: Check; platform?: string }> {
  try {
    // A local engine answers in milliseconds; the SPEC gives doctor 2 s in all, start-up included.
    const info = await engine.version({ timeoutMs: 1000 });
    return {
      check: ok("engine", `Docker ${info.version} (API ${info.apiVersion}) ${info.os}/${info.arch} at ${info.host}`),
      platform: `${info.os}/${info.arch}`,
    };
  } catch (e) {
    return { check: fromError("engine", e) };
  }
}

function checkPlatforms(platforms: readonly string[], native: string): Check[] {
  return platforms.map((p) => {
    const can = canRunPlatform(p, native);
    return can.ok
      ? ok(`platform ${p}`, `can build and run (${can.how})`)
      : fail(
          `platform ${p}`,
          `cannot build or run here: ${can.how}`,
          "apt-get install qemu-user-static binfmt-support && update-binfmts --enable",
        );
  });
}

function checkCredentials(config: DtConfig): Check[] {
  const prefixes = [config.registry, ...Object.values(config.registries)].filter((r): r is string => Boolean(r));
  const dockerConfig = readDockerConfig();
  return [...new Set(prefixes.map(registryHost))].map((host) => {
    const source = credentialSource(host, dockerConfig);
    if (source) return ok(`credentials ${host}`, `from ${source}`);
    if (/^(localhost|127\.)/.test(host)) return ok(`credentials ${host}`, "none needed for a loopback registry");
    return warn(`credentials ${host}`, "no credentials in the Docker config; push and pull may be refused", `docker login ${host}`);
  });
}

function checkRunnableDirs(ws: Workspace): Check[] {
  const checks: Check[] = [];
  for (const dir of ws.runnableDirs) {
    const name = `runnable ${dir.path}`;
    const file = dir.path === "." ? "changelog.txt" : `${dir.path}/changelog.txt`;
    try {
      loadConfig(ws.root, dir.path);
      const entries = parseChangelog(readText(join(ws.root, file)) ?? "", file);
      checks.push(ok(name, `dt.yaml and changelog.txt valid, version ${entries[0]!.version}`));
    } catch (e) {
      checks.push(fromError(name, e));
    }
  }
  if (ws.runnableDirs.length === 0) checks.push(warn("runnable dirs", "none in this workspace", "make one with 'dt init'"));
  return checks;
}

function checkSubRepos(ws: Workspace): Check {
  const missing = ws.subRepos.filter((s) => !s.initialised);
  if (missing.length === 0) return ok("sub-repos", `${ws.subRepos.length} initialised`);
  return fail("sub-repos", `not initialised: ${missing.map((s) => s.path).join(", ")}`, "dt subrepo update (or git submodule update --init --recursive)");
}

/** Every check of `dt doctor`, run concurrently; never throws. */
export async function runDoctor(cwd: string, engine: Engine): Promise<Check[]> {
  const [git, engineCheck, workspace] = await Promise.all([
    checkGit(cwd),
    checkEngine(engine),
    scanWorkspace(cwd, { dirty: false }).then(
      (ws) => ({ ws }),
      (error: unknown) => ({ error }),
    ),
  ]);
  const checks: Check[] = [git, engineCheck.check];
  if ("error" in workspace) {
    checks.push(fromError("workspace", workspace.error));
    return checks;
  }
  const ws = workspace.ws;
  checks.push(ok("workspace", ws.root));
  let rootConfig: DtConfig | undefined;
  try {
    rootConfig = loadConfig(ws.root, ".").config;
    checks.push(ok("dt.yaml", "valid"));
  } catch (e) {
    checks.push(fromError("dt.yaml", e));
  }
  checks.push(checkSubRepos(ws));
  checks.push(...checkRunnableDirs(ws));
  if (rootConfig) {
    checks.push(...checkPlatforms(rootConfig.platforms, engineCheck.platform ?? hostPlatform()));
    checks.push(...checkCredentials(rootConfig));
  }
  return checks;
}

import { join } from "node:path";
import { parseChangelog } from "../version/changelog.ts";
import { baseImageIgnoredBy, loadConfig, type DtConfig } from "../config/config.ts";
import { readOlderConfig } from "../config/older-config.ts";
import { linkChain } from "../base/link-chain.ts";
import { unmatchedEntries } from "../run/run-env.ts";
import { credentialSource, readDockerConfig, registryHost } from "../registry/docker-config.ts";
import type { Engine } from "../engine/engine.ts";
import { DtError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { gitRaw } from "../git/git.ts";
import { canRunPlatform, hostPlatform } from "../base/platform.ts";
import { checkBuilder, RELAX_ARCH_ENV } from "../build/builders.ts";
import { connectEngineAt } from "../engine/connect.ts";
import { scanWorkspace, type Workspace } from "../workspace/workspace.ts";
import { assertUniqueImages } from "../workspace/image-names.ts";
import { headingNameWarning } from "../workspace/runnable-info.ts";

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

/**
 * Each builder of dt.yaml, all at once: it answers, and it is an engine of its platform (so no
 * QEMU is needed there). A builder that is the local engine is checked as one.
 */
async function checkBuilders(config: DtConfig, local: Engine, connect: (host: string) => Promise<Engine>): Promise<Check[]> {
  return Promise.all(
    Object.entries(config.builders).map(async ([platform, host]) => {
      const name = `builder ${platform}`;
      try {
        const engine = host === local.host ? local : await connect(host);
        const { info, relaxed } = await checkBuilder(engine, platform, host);
        const what = `Docker ${info.version} ${info.os}/${info.arch} at ${host}`;
        if (relaxed) return warn(name, `${what}: not a ${platform} engine, accepted because ${RELAX_ARCH_ENV}=1 (for dt's own tests only)`, `unset ${RELAX_ARCH_ENV}`);
        return ok(name, `${what}, builds ${platform} natively`);
      } catch (e) {
        return fromError(name, e);
      }
    }),
  );
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
      const { files, ignored, config } = loadConfig(ws.root, dir.path);
      for (const i of ignored) checks.push(warn(`ignored ${i.key}`, `${i.source}: ${i.reason}`, `add the sub-repo to docker.trusted_subrepos in the root dt.yaml if you trust it`));
      const entries = parseChangelog(readText(join(ws.root, file)) ?? "", file, config.image);
      const odd = headingNameWarning(file, entries[0]!, config.image);
      if (odd) checks.push(warn(`changelog name ${dir.path}`, odd.message, odd.fix));
      // Say only what was read: a dir without a dt.yaml of its own has none to call valid.
      const own = files.filter((f) => f === `${dir.path}/dt.yaml`);
      checks.push(ok(name, `${[...own, file].join(" and ")} valid, version ${entries[0]!.version}`));
    } catch (e) {
      checks.push(fromError(name, e));
    }
    checks.push(...checkDockerfiles(ws.root, dir.path));
    const ignoredBy = baseImageIgnoredBy(ws.root, dir.path);
    if (ignoredBy) {
      checks.push(warn(`base_image ${dir.path}`, `no effect: ${ignoredBy} does not use BASE_IMAGE`, "set the FROM in that Dockerfile, or use ARG BASE_IMAGE / FROM ${BASE_IMAGE} to let base_image choose it"));
    }
  }
  if (ws.runnableDirs.length === 0) checks.push(warn("runnable dirs", "none in this workspace", "make one with 'dt init'"));
  return checks;
}

/** A dir's Dockerfiles that are links must resolve inside the workspace; the chain says where one breaks. */
function checkDockerfiles(root: string, dirPath: string): Check[] {
  const checks: Check[] = [];
  for (const stage of ["dev", "prod"]) {
    const rel = `${dirPath === "." ? "" : `${dirPath}/`}devops/docker_build/${stage}.Dockerfile`;
    const chain = linkChain(join(root, rel));
    if (chain.hops.length === 0) continue;
    const shown = [rel, ...chain.hops].join(" -> ");
    const inside = chain.end === root || chain.end.startsWith(`${root}/`);
    if (chain.loops) checks.push(fail(`Dockerfile ${rel}`, `a symlink loop: ${shown}`, "fix the link"));
    else if (!chain.resolves) checks.push(fail(`Dockerfile ${rel}`, `does not resolve: ${shown} (missing)`, "fix the link, or initialise the sub-repo it points into (dt subrepo update)"));
    else if (!inside) checks.push(fail(`Dockerfile ${rel}`, `resolves outside the workspace: ${shown}`, "link into the workspace or a sub-repo; dt never sends files from outside it"));
  }
  return checks;
}

/** The older toolchain's config files found, and what dt reads from them. */
function checkOlderConfig(ws: Workspace): Check[] {
  const checks: Check[] = [];
  for (const repo of [".", ...ws.subRepos.filter((s) => s.initialised).map((s) => s.path)]) {
    try {
      const older = readOlderConfig(ws.root, repo);
      if (!older) continue;
      const mapped = Object.entries(older.layer.sources)
        .map(([key, where]) => `${key} = ${String(valueAt(older.layer.values, key))} (line ${where.split(":").at(-1)})`)
        .join(", ");
      checks.push(ok(`older config ${older.file}`, mapped ? `read as ${mapped}` : "found; nothing in it maps to dt's keys"));
    } catch (e) {
      checks.push(fromError(`older config ${repo}`, e));
    }
  }
  return checks;
}

const valueAt = (values: Record<string, unknown>, dotted: string): unknown =>
  dotted.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), values);

/** Entries of setenv.path/pythonpath set by the user that match no dir in any repo. */
function checkSetenvPaths(ws: Workspace): Check[] {
  const { config, sources } = loadConfig(ws.root, ".");
  const checks: Check[] = [];
  for (const kind of ["path", "pythonpath"] as const) {
    const source = sources[`setenv.${kind}`] ?? "default";
    if (source === "default") continue;
    for (const entry of unmatchedEntries(ws.root, ws.subRepos, config.setenv[kind])) {
      checks.push(warn(`setenv.${kind}`, `${entry} (${source}) matches no directory in the workspace or its sub-repos`, `create it, or remove it from setenv.${kind}`));
    }
  }
  return checks;
}

function checkSubRepos(ws: Workspace): Check {
  const missing = ws.subRepos.filter((s) => !s.initialised);
  if (missing.length === 0) return ok("sub-repos", `${ws.subRepos.length} initialised`);
  return fail("sub-repos", `not initialised: ${missing.map((s) => s.path).join(", ")}`, "dt subrepo update (or git submodule update --init --recursive)");
}

/** Every check of `dt doctor`, run concurrently; never throws. `connect` reaches a builder. */
export async function runDoctor(cwd: string, engine: Engine, connect: (host: string) => Promise<Engine> = connectEngineAt): Promise<Check[]> {
  const [git, engineCheck, workspace] = await Promise.all([
    checkGit(cwd),
    checkEngine(engine),
    scanWorkspace(cwd, { status: "none" }).then(
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
    const resolved = loadConfig(ws.root, ".");
    rootConfig = resolved.config;
    // No dt.yaml, no line about one: defaults and the older config apply, which the next lines say.
    if (resolved.files.includes("dt.yaml")) checks.push(ok("dt.yaml", "valid"));
  } catch (e) {
    checks.push(fromError("dt.yaml", e));
  }
  checks.push(...checkOlderConfig(ws));
  checks.push(checkSubRepos(ws));
  try {
    assertUniqueImages(ws.root, ws.runnableDirs);
    if (ws.runnableDirs.length > 1) checks.push(ok("image names", `${ws.runnableDirs.length} runnable dirs, each its own image`));
  } catch (e) {
    checks.push(fromError("image names", e));
  }
  checks.push(...checkRunnableDirs(ws));
  if (rootConfig) {
    const builders = rootConfig.builders;
    // A platform with a builder elsewhere needs no QEMU here; its builder's row says whether it is fit.
    const here = rootConfig.platforms.filter((p) => !builders[p] || builders[p] === engine.host);
    checks.push(...checkPlatforms(here, engineCheck.platform ?? hostPlatform()));
    checks.push(...(await checkBuilders(rootConfig, engine, connect)));
    checks.push(...checkCredentials(rootConfig));
    checks.push(...checkSetenvPaths(ws));
  }
  return checks;
}

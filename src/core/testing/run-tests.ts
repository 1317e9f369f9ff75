import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Engine } from "../engine/engine.ts";
import { engineStoppedError } from "../engine/engine-errors.ts";
import { runContainerFully } from "../run/containers.ts";
import { lineCollector } from "../run/line-collector.ts";
import { checkImage, missingImageError, resolveRunImage, runSpecFor } from "../run/run-in-container.ts";
import { DtError } from "../base/errors.ts";
import { exists, writeFileAtomic } from "../base/fs-util.ts";
import { onCleanup } from "../base/lifecycle.ts";
import { mapLimit } from "../base/pool.ts";
import type { Stage } from "../workspace/image-ref.ts";
import { countCases, parseJunit, renderJunit, type Counts, type TestCase } from "./junit.ts";
import { checkStateDir, stateDir } from "../workspace/state-dir.ts";
import { PLUGIN_MOUNT, pluginBind } from "./pytest-plugin.ts";
import { toContainerPath } from "../run/run-env.ts";
import { targetOf } from "../workspace/target.ts";
import { exclusionsFor, markerFor, reportSlug, type Selection } from "./select-dirs.ts";
import type { CachedResult } from "./result-cache.ts";
import type { CacheSummary, TestCache } from "./test-cache.ts";

export interface TestRunOptions {
  suite: string;
  marker?: string;
  jobs: number;
  stage?: Stage;
  shard?: { index: number; total: number };
  junit?: string;
  failFast?: boolean;
  pytestArgs: string[];
  skipChecks?: boolean;
  /** Pull the dev/prod image first (--pull). */
  pull?: boolean;
  /** Memory limit per test container, bytes. */
  memory?: number;
  /** The test-result cache (`dt test`); without it every dir runs and nothing is stored (a release's tests). */
  cache?: TestCache;
}

export type DirStatus = "passed" | "failed" | "no-tests" | "error" | "not-run";

export interface DirResult {
  dir: string;
  image: string | null;
  stage: Stage | null;
  status: DirStatus;
  counts: Counts;
  seconds: number;
  exitCode: number | null;
  /** Why the dir failed or errored beyond its tests (crash, OOM, missing image). */
  reason: string | null;
  /** The fix for an environment problem. */
  hint: string | null;
  reasons: string[];
  staleImage: boolean;
  output: string;
  cases: TestCase[];
  report: string | null;
  /** Served from the test-result cache: counts, cases, time and exit code are the original run's. */
  cached: boolean;
  /** When the cached run ended (ISO 8601); null when the dir ran now. */
  cachedAt: string | null;
  /** With --explain, for a dir that ran: what changed since its last cached run. */
  explain: string[] | null;
}

export interface TestReport {
  ok: boolean;
  suite: string;
  marker: string | null;
  base: string | null;
  shard: string | null;
  dirs: DirResult[];
  totals: Counts & { seconds: number };
  junit: string | null;
  /** Null when the run used no cache. */
  cache: CacheSummary | null;
}

export type TestEvent =
  | { kind: "planned"; dirs: { dir: string; reasons: string[]; staleImage: boolean }[] }
  | { kind: "start"; dir: string; image: string }
  | { kind: "line"; dir: string; line: string }
  | { kind: "done"; result: DirResult };

const EMPTY: Counts = { passed: 0, failed: 0, skipped: 0, errors: 0, total: 0 };


function statusOf(exitCode: number, oomKilled: boolean, counts: Counts): { status: DirStatus; reason: string | null; hint?: string } {
  if (oomKilled) return { status: "failed", reason: "the container was killed: out of memory" };
  // The shell's codes for a program it cannot run: pytest never started, so the dir could not
  // run (no test failed), and the summary counts it so.
  if ((exitCode === 126 || exitCode === 127) && counts.total === 0) {
    return {
      status: "error",
      reason: `pytest could not start in the image (exit ${exitCode}: ${exitCode === 127 ? "a command was not found" : "a command is not executable"})`,
      hint: "dt test runs python3 -m pytest in the dir's image: its base_image (dt.yaml) or devops/docker_build/dev.Dockerfile must provide python3 and pytest",
    };
  }
  switch (exitCode) {
    case 0:
      return { status: "passed", reason: null };
    case 1:
      return { status: "failed", reason: null };
    case 5:
      return { status: "no-tests", reason: null };
    case 2:
      return { status: "failed", reason: "pytest was interrupted" };
    case 3:
      return { status: "failed", reason: "pytest hit an internal error" };
    case 4:
      return { status: "failed", reason: "pytest usage error (bad arguments or marker expression)" };
    default:
      return {
        status: "failed",
        reason: exitCode >= 128 ? `the container was killed by signal ${exitCode - 128} (exit ${exitCode})` : `pytest exited with ${exitCode}${counts.total ? "" : " before reporting any test"}`,
      };
  }
}

interface DirJob {
  path: string;
  absPath: string;
  reasons: string[];
  staleImage: boolean;
  /** With --shard: this shard's test files of the dir (host paths); else the whole dir. */
  files?: string[];
}

async function runDirTests(
  engine: Engine,
  job: DirJob,
  selection: Selection,
  options: TestRunOptions,
  reportsDir: string,
  onEvent: (e: TestEvent) => void,
  cache: TestCache | undefined,
): Promise<DirResult> {
  const base = emptyResult(job, "error", null);
  const started = performance.now();
  try {
    const target = targetOf({ root: selection.ws.root, path: job.path, absPath: job.absPath });
    const { marker, timeout } = markerFor(options.suite, target.resolved.config.test.suites, options.marker);
    const { ref, name, info, otherVersions } = await resolveRunImage(engine, target, { stage: options.stage, pull: options.pull, skipChecks: options.skipChecks }, (line) =>
      onEvent({ kind: "line", dir: job.path, line }),
    );
    base.image = name;
    base.stage = ref.stage;
    if (!info) throw missingImageError(ref, name, target, otherVersions);
    if (!options.skipChecks) checkImage(target, ref, name, info);
    const { config } = target.resolved;
    const prepared = await cache?.prepare(config.test.cache, config.registry, {
      target,
      info,
      stage: ref.stage,
      suite: options.suite,
      marker,
      timeout,
      pytestArgs: options.pytestArgs,
      shard: options.shard,
      shardFiles: job.files,
      memory: options.memory,
    });
    if (prepared) {
      const hit = await cache!.lookup(prepared);
      if (hit) return fromCache(base, hit);
      base.explain = cache!.explain(prepared);
    }

    const hostReport = join(reportsDir, `${reportSlug(job.path)}.xml`);
    const spec = runSpecFor(target, selection.ws.subRepos, ref, name, {});
    const mount = target.resolved.config.docker.mount;
    const inWorkspace = ref.stage !== "prod";
    const containerReport = inWorkspace ? toContainerPath(target.root, mount, hostReport) : hostReport;
    if (!inWorkspace) spec.binds.push(`${reportsDir}:${reportsDir}`);
    spec.binds.push(pluginBind());
    spec.env.DT_PYTHONPATH = [PLUGIN_MOUNT, spec.env.DT_PYTHONPATH].filter(Boolean).join(":");
    spec.env.DT_TEST_SUITE = options.suite;
    // Keep the source tree clean: no bytecode next to the code, pytest's cache under .dt/.
    spec.env.PYTHONDONTWRITEBYTECODE = "1";
    if (timeout > 0) spec.env.DT_TEST_TIMEOUT = String(timeout);
    const containerPath = (p: string) => (inWorkspace ? toContainerPath(target.root, mount, p) : p.replace(target.absPath, "/app"));
    spec.cmd = [
      "python3",
      "-m",
      "pytest",
      "-p",
      "dt_pytest",
      "-v",
      `--junitxml=${containerReport}`,
      "-o",
      "junit_family=xunit1",
      "-o",
      `junit_suite_name=${job.path}`,
      "-o",
      `cache_dir=${inWorkspace ? containerPath(join(selection.ws.root, ".dt", "pytest-cache", reportSlug(job.path))) : join(reportsDir, "cache")}`,
      ...(marker ? ["-m", marker] : []),
      ...exclusionsFor(selection.ws, job.path).map((p) => `--ignore=${containerPath(p)}`),
      ...(options.failFast ? ["-x"] : []),
      ...(job.files ?? []).map(containerPath),
      ...options.pytestArgs,
    ];
    spec.keep = true;
    spec.memory = options.memory ?? spec.memory;
    const out = lineCollector((line) => onEvent({ kind: "line", dir: job.path, line }));
    onEvent({ kind: "start", dir: job.path, image: name });
    const outcome = await runContainerFully(engine, spec, { tty: false, stdin: null, stdout: out.stream, stderr: out.stream });
    out.flush();
    if (outcome.engineStopped) {
      const stopped = engineStoppedError(outcome.exitCode);
      const seconds = (performance.now() - started) / 1000;
      return { ...base, status: "error", reason: stopped.message, hint: stopped.hint ?? null, exitCode: outcome.exitCode, output: out.text(), seconds };
    }
    const xml = exists(hostReport) ? readFileSync(hostReport, "utf8") : undefined;
    const cases = xml ? parseJunit(xml).flatMap((s) => s.cases) : [];
    const counts = countCases(cases);
    const { status, reason, hint } = statusOf(outcome.exitCode, outcome.oomKilled, counts);
    // A shard's report is partial: it must not replace the full one that balances later splits
    // (every shard of one run has to see the same durations to agree on the split).
    const shardTag = options.shard ? `.shard-${options.shard.index}-of-${options.shard.total}` : "";
    const latest = join(selection.ws.root, ".dt", "reports", `${reportSlug(job.path)}${shardTag}.xml`);
    if (xml) writeFileAtomic(latest, xml);
    const result: DirResult = {
      ...base,
      status,
      reason,
      ...(hint ? { hint } : {}),
      counts,
      cases,
      exitCode: outcome.exitCode,
      output: out.text(),
      report: xml ? latest : null,
      seconds: (performance.now() - started) / 1000,
    };
    // Only a pass is kept: a failure or an error must show again until it is fixed.
    if (prepared && result.status !== "passed" && result.status !== "no-tests") cache!.forget(prepared);
    if (prepared && (result.status === "passed" || result.status === "no-tests")) {
      await cache!.store(prepared, {
        dir: job.path,
        status: result.status,
        exitCode: outcome.exitCode,
        counts,
        cases,
        seconds: result.seconds,
        at: new Date().toISOString(),
        image: name,
        stage: ref.stage,
        output: result.output.slice(-OUTPUT_KEPT),
      });
    }
    return result;
  } catch (e) {
    if (!(e instanceof DtError) || e.exitCode === 1) throw e;
    if (e.exitCode === 2) throw e;
    return { ...base, status: "error", reason: e.message, hint: e.hint ?? null, seconds: (performance.now() - started) / 1000 };
  }
}

/** A dir's result served from the cache, as the original run reported it. */
function fromCache(base: DirResult, hit: CachedResult): DirResult {
  return {
    ...base,
    status: hit.status,
    counts: hit.counts,
    cases: hit.cases,
    seconds: hit.seconds,
    exitCode: hit.exitCode,
    output: hit.output ?? "",
    cached: true,
    cachedAt: hit.at,
  };
}

/** Of a passing run's output the cache keeps this much (its end): the cases hold the results. */
const OUTPUT_KEPT = 32 * 1024;

/** `dt test`: each selected dir's tests in its own container, `jobs` at a time. */
export async function runTests(engine: Engine, selection: Selection, options: TestRunOptions, onEvent: (e: TestEvent) => void = () => {}): Promise<TestReport> {
  let jobs: DirJob[] = selection.dirs;
  if (options.shard) {
    const { planShard } = await import("./shard-plan.ts");
    const files = planShard(selection, options.shard);
    jobs = jobs.filter((j) => (files.get(j.path)?.length ?? 0) > 0).map((j) => ({ ...j, files: files.get(j.path) }));
  }
  onEvent({ kind: "planned", dirs: jobs.map((j) => ({ dir: j.path, reasons: j.reasons, staleImage: j.staleImage })) });
  const cache = options.cache;
  const runId = `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`;
  // Reports and pytest's cache go under .dt/, which must be the workspace's own directory.
  checkStateDir(selection.ws.root, "pytest-cache");
  const reportsDir = join(stateDir(selection.ws.root, "reports", "runs"), runId);
  mkdirSync(reportsDir, { recursive: true });
  // An interrupt exits from the signal handler, past the `finally` below: remove it then too.
  const removeReportsDir = () => rmSync(reportsDir, { recursive: true, force: true });
  const unregister = onCleanup(removeReportsDir);
  let stop = false;
  const started = performance.now();
  let results: DirResult[];
  try {
    results = await mapLimit(jobs, options.jobs, async (job) => {
      if (stop) return notRun(job);
      const result = await runDirTests(engine, job, selection, options, reportsDir, onEvent, cache);
      onEvent({ kind: "done", result });
      if (options.failFast && result.status !== "passed" && result.status !== "no-tests") stop = true;
      return result;
    });
  } finally {
    removeReportsDir();
    unregister();
  }
  const cacheSummary = cache?.finish() ?? null;
  const all = results.flatMap((r) => r.cases);
  const totals = { ...countCases(all), seconds: (performance.now() - started) / 1000 };
  let junit: string | null = null;
  if (options.junit) {
    junit = options.junit;
    writeFileAtomic(junit, renderJunit(results.map((r) => ({ name: `${r.dir} (${r.image ?? "no image"})`, time: r.seconds, cases: r.cases }))));
  }
  return {
    ok: results.every((r) => r.status === "passed" || r.status === "no-tests"),
    suite: options.suite,
    marker: options.marker ?? null,
    base: selection.base,
    shard: options.shard ? `${options.shard.index}/${options.shard.total}` : null,
    dirs: results,
    totals,
    junit,
    cache: cacheSummary,
  };
}

/** A dir's result before (or without) a run. */
function emptyResult(job: DirJob, status: DirStatus, reason: string | null): DirResult {
  return {
    dir: job.path,
    image: null,
    stage: null,
    status,
    counts: EMPTY,
    seconds: 0,
    exitCode: null,
    reason,
    hint: null,
    reasons: job.reasons,
    staleImage: job.staleImage,
    output: "",
    cases: [],
    report: null,
    cached: false,
    cachedAt: null,
    explain: null,
  };
}

const notRun = (job: DirJob) => emptyResult(job, "not-run", "not run: --fail-fast stopped the run");

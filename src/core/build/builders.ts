// `builders:` of dt.yaml: which engine builds each platform, and whether a named builder can.
// A platform without a builder is built on the local engine (through QEMU when foreign).
import { DtError, envError, ExitCode } from "../base/errors.ts";
import { hostPlatform, requireBuildable } from "../base/platform.ts";
import { connectEngineAt } from "../engine/connect.ts";
import type { Engine, EngineInfo } from "../engine/engine.ts";
import { START_HINT } from "../engine/engine-errors.ts";
import { engineHost } from "../engine/engine-host.ts";

/**
 * How long a builder has to answer its first call. A silent one (a host that accepts and never
 * answers) then fails the command within 10 s, dt's own start-up included.
 */
export const BUILDER_DEADLINE_MS = 8_000;

/**
 * Test-only: a builder of another architecture passes the check. The tests have one kind of
 * machine, so a second engine on it stands in for the arm64 builder (its QEMU does the work).
 */
export const RELAX_ARCH_ENV = "DT_TEST_RELAX_BUILDER_ARCH";

/** Where one platform is built. */
export interface PlatformEngine {
  platform: string;
  engine: Engine;
  /** The builder of dt.yaml it is built on; null for the local engine. */
  builder: string | null;
}

export interface BuilderChoice {
  /**
   * Build the host's own platform on the local engine even if a builder is named for it: its
   * image is to run here (a release's tests, a plain `dt docker build`).
   */
  nativeOnLocal: boolean;
  native?: string;
}

/** The builder (DOCKER_HOST syntax) of each platform, or null for the local engine at `localHost`. */
export function builderHosts(
  platforms: readonly string[],
  builders: Readonly<Record<string, string>>,
  localHost: string,
  choice: BuilderChoice,
): Map<string, string | null> {
  const native = choice.native ?? hostPlatform();
  return new Map(
    platforms.map((p) => {
      const host = builders[p];
      const local = !host || host === localHost || (p === native && choice.nativeOnLocal);
      return [p, local ? null : host];
    }),
  );
}

const HINT_FIX_ENTRY = (platform: string) =>
  `start or fix that engine, or change builders.${platform} in dt.yaml (without an entry, ${platform} builds on the local engine); 'dt doctor' checks every builder`;

/**
 * Whether the builder at `host` can build `platform`: it answers within the deadline and is an
 * engine of that platform. Returns its version; throws exit 3 naming the builder and platform.
 */
export async function checkBuilder(engine: Engine, platform: string, host: string): Promise<{ info: EngineInfo; relaxed: boolean }> {
  let info: EngineInfo;
  try {
    info = await engine.version({ timeoutMs: BUILDER_DEADLINE_MS });
  } catch (e) {
    if (e instanceof DtError && e.exitCode === ExitCode.usage) throw e;
    const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    const why = code === "ETIMEDOUT" ? `did not answer within ${BUILDER_DEADLINE_MS / 1000} s` : `is not reachable (${code ?? (e as Error).message})`;
    throw envError(`the builder of ${platform} at ${host} ${why}`, { hint: HINT_FIX_ENTRY(platform), cause: e });
  }
  const [os, arch] = platform.split("/");
  if (info.os === os && info.arch === arch) return { info, relaxed: false };
  if (process.env[RELAX_ARCH_ENV] === "1") return { info, relaxed: true };
  throw envError(`the builder of ${platform} at ${host} is a ${info.os}/${info.arch} engine, not ${platform}`, {
    hint: `name a ${platform} engine under builders.${platform} in dt.yaml, or remove the entry to build ${platform} on the local engine`,
  });
}

/**
 * The engine of each platform, in the platforms' order: the local one, or its builder once that
 * answered and was found fit (all builders checked at once). Platforms built here must be
 * buildable here (natively or through QEMU).
 */
export async function enginesFor(
  local: Engine,
  platforms: readonly string[],
  builders: Readonly<Record<string, string>>,
  choice: BuilderChoice,
  connect: (host: string) => Promise<Engine> = connectEngineAt,
): Promise<PlatformEngine[]> {
  const native = choice.native ?? hostPlatform();
  const hosts = builderHosts(platforms, builders, local.host, { ...choice, native });
  requireBuildable(
    platforms.filter((p) => hosts.get(p) === null),
    native,
  );
  const connected = new Map<string, Promise<Engine>>();
  return Promise.all(
    platforms.map(async (platform) => {
      const host = hosts.get(platform) ?? null;
      if (host === null) return { platform, engine: local, builder: null };
      if (!connected.has(host)) connected.set(host, connect(host));
      const engine = await connected.get(host)!;
      await checkBuilder(engine, platform, host);
      return { platform, engine, builder: host };
    }),
  );
}

/**
 * Runs one platform's work on its engine, one platform at a time per engine: pulling a base
 * image for one platform retags the name another platform's build on the same engine uses.
 * Engines work in parallel.
 */
export function queued<T>(pe: PlatformEngine, work: () => Promise<T>): Promise<T> {
  const before = queues.get(pe.engine) ?? Promise.resolve();
  const mine = before.then(() => onItsEngine(pe, work));
  queues.set(
    pe.engine,
    mine.catch(() => {}),
  );
  return mine;
}
const queues = new WeakMap<Engine, Promise<unknown>>();

/** Runs `work` on a platform's engine; a builder's failure names the builder and the platform. */
export async function onItsEngine<T>(pe: PlatformEngine, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw pe.builder && e instanceof DtError ? builderError(e, pe.platform, pe.builder) : e;
  }
}

function builderError(e: DtError, platform: string, builder: string): DtError {
  // engine-errors.ts names the engine of DOCKER_HOST; this call went to the builder.
  const local = `the Docker engine at ${engineHost()}`;
  const named = e.message.includes(local);
  const message = named ? e.message.replaceAll(local, `the builder of ${platform} at ${builder}`) : `${platform} on the builder ${builder}: ${e.message}`;
  return new DtError(e.exitCode, message, { hint: e.hint === START_HINT ? HINT_FIX_ENTRY(platform) : e.hint, where: e.where, cause: e });
}

/** `linux/arm64 on the builder ssh://…` or `linux/amd64 on the local engine`, for messages. */
export const whereBuilt = (platform: string, builder: string | null) => `${platform} on ${builder ? `the builder ${builder}` : "the local engine"}`;

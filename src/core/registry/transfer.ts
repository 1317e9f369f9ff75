import type { AuthConfig, Engine, ProgressStream } from "../engine/engine.ts";
import { engineError, isNotFound } from "../engine/engine-errors.ts";
import { DtError, ExitCode, envError, workError } from "../base/errors.ts";
import { readJsonLines } from "../base/json-lines.ts";

export interface TransferProgress {
  layers: number;
  layersDone: number;
  current: number;
  total: number;
}

/**
 * The registry has no such image (tag or repository). Its own type, so a caller that knows which
 * stage it wanted can say what makes one (`dt docker release prod`).
 */
export class NotInRegistryError extends DtError {
  constructor(
    readonly reference: string,
    readonly registry: string,
    readonly detail: string,
    hint = "check the stage and --version (released ones: dt docker images, or the registry), or release it first: dt docker release dev",
  ) {
    super(ExitCode.environment, `pulling ${reference}: the registry ${registry} has no such image (${detail})`, { hint });
  }
}

const AUTH_FAILURE = /unauthorized|authentication required|denied|no basic auth credentials|401/i;

/**
 * Follows a push or pull stream: per-layer byte counts folded into one progress figure, and
 * the error line the engine sends inside a 200 response turned into a DtError.
 */
async function followTransfer(
  stream: ProgressStream,
  what: string,
  registry: string,
  onProgress: (p: TransferProgress) => void,
): Promise<{ digest: string | null }> {
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  let digest: string | null = null;
  let failure: string | undefined;
  const report = () => {
    let current = 0;
    let total = 0;
    let done = 0;
    for (const l of layers.values()) {
      current += Math.min(l.current, l.total || l.current);
      total += l.total;
      if (l.done) done++;
    }
    onProgress({ layers: layers.size, layersDone: done, current, total });
  };
  await readJsonLines(stream, (obj) => {
    if (obj.error || obj.errorDetail) {
      failure = String(obj.errorDetail?.message ?? obj.error);
      return;
    }
    if (obj.aux?.Digest) digest = String(obj.aux.Digest);
    const status = String(obj.status ?? "");
    const digestInStatus = /digest: (sha256:[0-9a-f]{64})/.exec(status);
    if (digestInStatus) digest ??= digestInStatus[1]!;
    if (!obj.id || /^(latest|dev|prod|local)/.test(String(obj.id)) && !obj.progressDetail) return;
    const layer = layers.get(obj.id) ?? { current: 0, total: 0, done: false };
    if (obj.progressDetail?.total) {
      layer.current = obj.progressDetail.current ?? layer.current;
      layer.total = obj.progressDetail.total;
    }
    if (/^(Pushed|Layer already exists|Pull complete|Already exists|Mounted from)/.test(status)) {
      layer.done = true;
      layer.current = layer.total;
    }
    layers.set(obj.id, layer);
    report();
  }).catch((cause: unknown) => {
    throw engineError(cause, what);
  });
  if (failure) {
    if (AUTH_FAILURE.test(failure)) {
      throw envError(`registry ${registry} refused ${what}: ${failure.split("\n")[0]}`, {
        hint: `log in with 'docker login ${registry}' (dt reads the Docker config: auths, credHelpers, credsStore)`,
      });
    }
    if (/connection refused|no such host|i\/o timeout|dial tcp/i.test(failure)) {
      throw envError(`registry ${registry} is not reachable while ${what}: ${failure.split("\n")[0]}`, {
        hint: "check the registry address in dt.yaml (registry:, registries:) or DT_REGISTRY",
      });
    }
    if (what.startsWith("pulling ") && /not found|manifest unknown|does not exist/i.test(failure)) {
      throw new NotInRegistryError(what.slice("pulling ".length), registry, failure.split("\n")[0]!);
    }
    throw workError(`${what} failed: ${failure}`);
  }
  return { digest };
}

export async function pushImage(
  engine: Engine,
  repository: string,
  tag: string,
  auth: AuthConfig | undefined,
  onProgress: (p: TransferProgress) => void = () => {},
): Promise<{ digest: string | null }> {
  const registry = repository.split("/")[0]!;
  const stream = await engine.push(repository, tag, auth);
  return followTransfer(stream, `pushing ${repository}:${tag}`, registry, onProgress);
}

export async function pullImage(
  engine: Engine,
  reference: string,
  auth: AuthConfig | undefined,
  options: { platform?: string; onProgress?: (p: TransferProgress) => void } = {},
): Promise<void> {
  const registry = reference.split("/")[0]!;
  let stream: ProgressStream;
  try {
    stream = await engine.pull(reference, { auth, platform: options.platform });
  } catch (e) {
    // The engine may answer 404 to the pull request itself instead of an error line in its stream.
    if (e instanceof DtError && isNotFound(e.cause)) throw new NotInRegistryError(reference, registry, e.message.replace(`the engine refused pulling ${reference}: `, ""));
    throw e;
  }
  await followTransfer(stream, `pulling ${reference}`, registry, options.onProgress ?? (() => {}));
}

export function formatProgress(p: TransferProgress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return p.total > 0 ? `${mb(p.current)}/${mb(p.total)} MB, ${p.layersDone}/${p.layers} layers` : `${p.layersDone}/${p.layers} layers`;
}

/**
 * Cleanups that must run however dt ends: containers to remove, temp files to delete. The
 * top level runs them on SIGINT/SIGTERM before exiting with 130/143; code that creates
 * something registers its cleanup and unregisters it once the thing is gone.
 */
type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();

export function onCleanup(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map(async (fn) => fn()));
}

let interrupted: NodeJS.Signals | undefined;
export const interruptedBy = () => interrupted;

/** An AbortSignal that fires on the first SIGINT/SIGTERM, for long operations to stop early. */
export const interruption = new AbortController();

export function markInterrupted(signal: NodeJS.Signals): void {
  interrupted ??= signal;
  interruption.abort(signal);
}

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

let inFlight: Promise<void> | undefined;

/** Runs every registered cleanup once; a second caller waits for the same run to finish. */
export function runCleanups(): Promise<void> {
  if (cleanups.size === 0 && inFlight) return inFlight;
  const pending = [...cleanups];
  cleanups.clear();
  const run = Promise.allSettled(pending.map(async (fn) => fn())).then(() => undefined);
  inFlight = inFlight ? Promise.all([inFlight, run]).then(() => undefined) : run;
  return inFlight;
}

let interrupted: NodeJS.Signals | undefined;
export const interruptedBy = () => interrupted;

export function markInterrupted(signal: NodeJS.Signals): void {
  interrupted ??= signal;
}

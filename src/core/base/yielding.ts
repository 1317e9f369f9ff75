// Long synchronous work written once, as a generator of steps, and run two ways. A signal's
// handler runs only when the event loop turns, so SIGINT during a walk that holds the thread
// for seconds was acted on only after it ended. Run with `runYielding`, the work lets the loop
// turn whenever it has held the thread for a slice; run with `runNow`, it goes straight through
// (for callers that are synchronous themselves).

import { interruptedBy } from "./lifecycle.ts";

const SLICE_MS = 50;
let sliceStart = performance.now();

/** Time to `yield`: the work has held the thread for a slice. Cheap enough to ask per item. */
export function sliceDue(): boolean {
  return performance.now() - sliceStart >= SLICE_MS;
}

/** Runs `steps` to its end without letting the event loop turn. */
export function runNow<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    sliceStart = performance.now();
  }
}

/**
 * Runs `steps`, letting the event loop turn (timers, I/O, signal handlers) at each yield. After
 * a signal the work stops at its next yield and never settles: dt is exiting, and every slice
 * it went on taking would delay the cleanups between their awaits (a SIGINT during a 6 s walk
 * ended dt only after the walk).
 */
export async function runYielding<T>(steps: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await turn();
  }
}

/**
 * Lets the event loop turn once. Awaiting a promise is not enough: a chain of microtasks (a
 * file stream that is always ready) never gives the loop, and so the signal handlers, a turn.
 */
export async function turn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (interruptedBy()) await new Promise<never>(() => {});
  sliceStart = performance.now();
}

import { isTTY } from "../../ui/fd.ts";
import type { OpEvent } from "../../core/registry/stage-ops.ts";

/** Wires registry operation events to the progress display. */
async function transferDisplay(title: string) {
  const { progress } = await import("../../ui/progress.ts");
  const bar = progress(title);
  return { bar, onEvent: await transferEvents(bar) };
}

/** Draws registry operation events (steps, push and pull progress) on an existing display. */
export async function transferEvents(bar: { step(text: string): void }): Promise<(e: OpEvent) => void> {
  const { formatProgress } = await import("../../core/registry/transfer.ts");
  let lastPlain = 0;
  return (e) => {
    if (e.kind === "step") return bar.step(e.text);
    // On a pipe, one progress line every 2 s is plenty; a TTY redraws in place.
    const now = Date.now();
    if (isTTY(2) || now - lastPlain > 2000) {
      lastPlain = now;
      bar.step(`${e.what}: ${formatProgress(e.progress)}`);
    }
  };
}

/**
 * Runs a registry operation under its progress display: events drawn as they come, the display
 * closed with `done(result)` or "TITLE failed", and the result printed as JSON with --json.
 */
export async function runTransfer<T>(title: string, json: boolean | undefined, op: (onEvent: (e: OpEvent) => void) => Promise<T>, done: (result: T) => string): Promise<T> {
  const ui = await transferDisplay(title);
  let result: T;
  try {
    result = await op(ui.onEvent);
  } catch (e) {
    ui.bar.fail(`${title} failed`);
    throw e;
  }
  ui.bar.succeed(done(result));
  if (json) (await import("../../ui/output.ts")).outJson(result);
  return result;
}

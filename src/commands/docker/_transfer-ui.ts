import type { OpEvent } from "../../core/registry/stage-ops.ts";
import { c } from "../../ui/output.ts";
import type { Progress } from "../../ui/progress.ts";

/**
 * Steps on a progress display: a step is drawn as running when it starts and gets its ✓ only
 * when the work reports it done, so a step that fails is never shown as succeeded.
 */
export function stepLog(bar: Progress) {
  let open: { text: string; started: number } | undefined;
  const seconds = (since: number) => c.dim(`${((Date.now() - since) / 1000).toFixed(1)}s`);
  return {
    start(text: string) {
      open = { text, started: Date.now() };
      bar.step(text);
    },
    /** Ends the running step as succeeded, saying what came of it. */
    done(text?: string) {
      bar.succeed(`${text ?? open?.text ?? ""}${open ? `  ${seconds(open.started)}` : ""}`);
      open = undefined;
    },
    /** Ends the running step as failed, with what came of it if known; false when none was running. */
    failed(detail?: string): boolean {
      if (!open) return false;
      bar.fail(`${open.text}${detail ? `: ${detail}` : " failed"}  ${seconds(open.started)}`);
      open = undefined;
      return true;
    },
  };
}

/** Draws registry operation events (steps, push and pull progress) on an existing display. */
export async function transferEvents(bar: Progress, steps = stepLog(bar)): Promise<(e: OpEvent) => void> {
  const { formatProgress } = await import("../../core/registry/transfer.ts");
  let lastPlain = 0;
  return (e) => {
    if (e.kind === "step") return steps.start(e.text);
    if (e.kind === "done") return steps.done(e.text);
    // In plain lines, one progress line every 2 s is plenty; a live display redraws in place.
    const now = Date.now();
    if (bar.live || now - lastPlain > 2000) {
      lastPlain = now;
      bar.step(`${e.what}: ${formatProgress(e.progress)}`);
    }
  };
}

/** `; moved REPO:dev from 0.1.1 to 0.1.0`: floating tags an operation pointed elsewhere. */
export const movedText = (moved: readonly { repository: string; tag: string; from: string | null; to: string }[]) =>
  moved.length ? `; moved ${moved.map((m) => `${m.repository}:${m.tag} ${m.from ? `from ${m.from} ` : ""}to ${m.to}`).join(", ")}` : "";

/**
 * Runs a registry operation under its progress display: events drawn as they come, the display
 * closed with `done(result)`, or the failed step marked; the result printed as JSON with --json.
 */
export async function runTransfer<T extends object>(title: string, json: boolean | undefined, op: (onEvent: (e: OpEvent) => void) => Promise<T>, done: (result: T) => string): Promise<T> {
  const { progress } = await import("../../ui/progress.ts");
  const bar = progress(title);
  const steps = stepLog(bar);
  const onEvent = await transferEvents(bar, steps);
  let result: T;
  try {
    result = await op(onEvent);
  } catch (e) {
    if (!steps.failed()) bar.fail(`${title} failed`);
    throw e;
  }
  bar.succeed(done(result));
  if (json) (await import("../../ui/output.ts")).outDocument(result);
  return result;
}

import { DtError } from "../../src/core/base/errors.ts";

/** The DtError a call throws (fails the test if it throws something else or nothing). */
export function dtErrorOf(fn: () => unknown): DtError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DtError) return e;
    throw new Error(`expected a DtError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a DtError, nothing was thrown");
}

/** The DtError a promise rejects with (fails the test if it rejects with something else or resolves). */
export async function dtRejectionOf(p: Promise<unknown>): Promise<DtError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DtError) return e;
    throw new Error(`expected a DtError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a DtError, the promise resolved");
}

/** Every text an error exposes: message, hint, stack and its cause chain (to grep for secrets). */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  while (cur) {
    parts.push(String(cur));
    if (cur instanceof DtError && cur.hint) parts.push(cur.hint);
    if (cur instanceof Error) parts.push(cur.message, cur.stack ?? "");
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join("\n");
}

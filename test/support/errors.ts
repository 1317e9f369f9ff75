import { DtError } from "../../src/core/errors.ts";

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

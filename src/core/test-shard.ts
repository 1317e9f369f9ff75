import type { Selection } from "./test-plan.ts";

/** Placeholder until shard.ts lands: every file in shard 1. */
export function planShard(_selection: Selection, _shard: { index: number; total: number }): Map<string, string[]> {
  throw new Error("--shard is not available yet");
}

/** A parsed layer of configuration: plain values plus where each leaf came from (`file:line`). */
export interface ConfigLayer {
  values: Record<string, unknown>;
  sources: Record<string, string>;
}

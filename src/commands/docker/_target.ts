/** The target dir and the engine, resolved once and together (the engine connects while config loads). */
export async function targetAndEngine(cwd: string, dir: string | undefined) {
  const [{ loadTarget }, { connectEngine }] = await Promise.all([import("../../core/workspace/target.ts"), import("../../core/engine/connect.ts")]);
  const [target, engine] = await Promise.all([loadTarget(cwd, dir), connectEngine()]);
  return { target, engine };
}

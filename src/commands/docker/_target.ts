/**
 * The target dir and the engine, resolved once and together (the engine connects while config
 * loads). `writesTags`: the command names images (push, pull), so two dirs sharing an image
 * name is refused first.
 */
export async function targetAndEngine(cwd: string, dir: string | undefined, options: { writesTags?: boolean } = {}) {
  const [{ loadTarget }, { connectEngine }] = await Promise.all([import("../../core/workspace/target.ts"), import("../../core/engine/connect.ts")]);
  const [target, engine] = await Promise.all([loadTarget(cwd, dir), connectEngine()]);
  if (options.writesTags) await (await import("../../core/workspace/image-names.ts")).assertUniqueImagesAround(target.root);
  return { target, engine };
}

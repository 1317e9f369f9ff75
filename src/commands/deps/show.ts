import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, stageArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "show",
    description: "The Python packages installed in the target dir's image (the one a run uses, or --stage/--version), as recorded when dt built it",
  },
  args: { ...dirArgs, ...stageArgs, ...jsonArgs },
  async run({ args, cwd }) {
    const [{ loadTarget }, { connectEngine }, { chooseImage, missingImageError }, { packagesOf }, { out, outJson, info, table }] = await Promise.all([
      import("../../core/workspace/target.ts"),
      import("../../core/engine/connect.ts"),
      import("../../core/run/run-in-container.ts"),
      import("../../core/deps/image-packages.ts"),
      import("../../ui/output.ts"),
    ]);
    const [target, engine] = await Promise.all([loadTarget(cwd, args.dir), connectEngine()]);
    const chosen = await chooseImage(engine, target, args.stage, args.version);
    if (!chosen.info) throw missingImageError(chosen.ref, chosen.name, target);
    if (chosen.notice) info(chosen.notice);
    const { listing, taken } = await packagesOf(engine, { root: target.root, dir: target.path }, chosen.info.Id);
    if (taken) info(`${chosen.name} was not built by dt in this workspace: listed its packages now, in a container, and recorded them`);
    if (args.json) {
      outJson({ dir: target.path, image: chosen.name, stage: chosen.ref.stage, ...listing });
      return;
    }
    info(`${chosen.name} (${listing.id.replace(/^sha256:/, "").slice(0, 12)}): Python ${listing.python}, ${listing.packages.length} packages`);
    out(table(["PACKAGE", "VERSION"], listing.packages.map((p) => [p.name, p.version])));
  },
});

import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs, stageArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "check",
    description: "The changelog version against the version label of the image 'dt docker cmd' would use, under version_policy; exit 3 on mismatch",
  },
  args: { ...dirArgs, ...stageArgs, ...jsonArgs },
  async run({ args, cwd }) {
    const { chooseImage, checkImage, missingImageError } = await import("../../core/run/run-in-container.ts");
    const { LABEL } = await import("../../core/workspace/image-ref.ts");
    const { out, outDocument } = await import("../../ui/output.ts");
    const { target, engine } = await (await import("../docker/_target.ts")).targetAndEngine(cwd, args.dir);
    const { ref, name, info, otherVersions } = await chooseImage(engine, target, args.stage, args.version);
    if (!info) throw missingImageError(ref, name, target, otherVersions);
    const report = {
      dir: target.path,
      image: name,
      imageVersion: info.Config?.Labels?.[LABEL.version] ?? null,
      codeVersion: target.version,
      policy: target.resolved.config.version_policy,
    };
    checkImage(target, ref, name, info);
    if (args.json) outDocument(report);
    else out(`ok: ${name} is ${report.imageVersion}, the code needs ${report.codeVersion} (version_policy: ${report.policy})`);
  },
});

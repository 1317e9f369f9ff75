import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: { name: "images", description: "The target dir's images by stage and version: id, digest, arch, created, size" },
  args: { ...dirArgs, ...jsonArgs },
  async run({ args, cwd }) {
    const { listDtImages } = await import("../../core/engine/image-list.ts");
    const { out, outDocument, table } = await import("../../ui/output.ts");
    const { target, engine } = await (await import("./_target.ts")).targetAndEngine(cwd, args.dir);
    const images = await listDtImages(engine, { workspace: target.root, runnableDir: target.path });
    if (args.json) {
      outDocument({ dir: target.path, images });
      return;
    }
    if (images.length === 0) {
      out(`no images of ${target.path} yet; build one with 'dt docker build'`);
      return;
    }
    out(
      table(
        ["STAGE", "VERSION", "TAGS", "ID", "ARCH", "CREATED", "SIZE"],
        images.map((i) => [i.stage, i.version, i.tags.map((t) => t.split(":").at(-1)).join(",") || "-", i.id, i.arch, i.created.slice(0, 19).replace("T", " "), `${(i.size / 1e6).toFixed(1)} MB`]),
        { shrink: [2, 3] },
      ),
    );
  },
});

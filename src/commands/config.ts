import { defineCommand } from "./_define.ts";
import { dirArgs, jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: { name: "config", description: "Resolved configuration of the target dir, with the source of each value" },
  args: {
    ...jsonArgs,
    ...dirArgs,
    schema: { type: "boolean", description: "Print the JSON schema of dt.yaml (for editors) instead" },
  },
  async run({ args, cwd }) {
    const { outJson, outDocument, out, table, c, info } = await import("../ui/output.ts");
    if (args.schema) {
      const { DT_YAML_SCHEMA, toJsonSchema } = await import("../core/config/schema.ts");
      outJson({ $schema: "https://json-schema.org/draft/2020-12/schema", title: "dt.yaml", ...toJsonSchema(DT_YAML_SCHEMA) });
      return;
    }
    const { findWorkspaceRoot, resolveTargetDir } = await import("../core/workspace/workspace.ts");
    const { loadConfigCached, configRows, baseImageIgnoredBy } = await import("../core/config/config.ts");
    // Outside any runnable dir the root's configuration is still worth showing.
    const target = args.dir !== undefined ? await resolveTargetDir(cwd, args.dir) : await resolveTargetDir(cwd).catch(() => undefined);
    const root = target?.root ?? findWorkspaceRoot(cwd);
    const dir = target?.path ?? ".";
    const resolved = await loadConfigCached(root, dir);
    for (const notice of resolved.notices) info(notice);
    const rows = configRows(resolved);
    const ignoredBy = baseImageIgnoredBy(root, dir);
    if (ignoredBy) {
      const row = rows.find((r) => r.key === "base_image")!;
      row.source = `${row.source}; no effect: ${ignoredBy} does not use BASE_IMAGE`;
    }
    // The ARGs dt passes to every build besides docker.build_args (which can override them).
    const own = resolved.config.docker.build_args;
    const builtIn = [
      ["BASE_IMAGE", resolved.config.base_image, ignoredBy ? `dt (from base_image); no effect: ${ignoredBy} does not use it` : "dt (from base_image)"],
      ["DT_VERSION", "the version built (the changelog's)", "dt"],
      ["DT_STAGE", "the stage built (local or prod)", "dt"],
    ] as const;
    for (const [name, value, source] of builtIn) {
      if (!(name in own)) rows.push({ key: `docker.build_args.${name}`, value, source });
    }
    if (args.json) {
      outDocument({ root, dir, files: resolved.files, config: resolved.config, values: rows, baseImageIgnoredBy: ignoredBy, ignored: resolved.ignored });
      return;
    }
    out(`${c.bold("config of")} ${dir === "." ? root : `${dir} (in ${root})`}`);
    out(table(["KEY", "VALUE", "SOURCE"], rows.map((r) => [r.key, formatValue(r.value), c.dim(r.source)]), { shrink: [1, 2] }));
  },
});

function formatValue(value: unknown): string {
  if (value === null) return "-";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

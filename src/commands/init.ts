import { defineCommand } from "./_define.ts";

export default defineCommand({
  meta: {
    name: "init",
    description: "Make the current dir runnable (or a workspace root): changelog.txt, devops/, pytest.ini, dt.yaml at the root. Never overwrites without --force, and never your changelog.txt, pytest.ini or dt.yaml.",
  },
  args: {
    image: { type: "string", description: "Image name (default: the dir's name)", valueHint: "NAME" },
    registry: { type: "string", description: "Default registry prefix written to dt.yaml", valueHint: "REGISTRY" },
    "base-image": { type: "string", description: "FROM of the dev image (default python:3.12-slim)", valueHint: "IMAGE" },
    force: { type: "boolean", description: "Overwrite dt's templates (never changelog.txt, pytest.ini or dt.yaml)" },
    example: { type: "string", description: "Write the example workspace (a super-repo with a shared sub-repo) into DIR", valueHint: "DIR" },
  },
  async run({ args, cwd }) {
    const { info, out, c } = await import("../ui/output.ts");
    if (args.example !== undefined) {
      const { writeExample } = await import("../core/init/example.ts");
      const result = await writeExample(args.example, { baseImage: args["base-image"] ?? "python:3.12-slim" });
      out(`wrote the example workspace ${result.root} (${result.files} files, sub-repo helpers_root)`);
      info(`next: cd ${args.example} && dt ls`);
      return;
    }
    const { initRunnable } = await import("../core/init/init.ts");
    const result = initRunnable({
      dir: cwd,
      image: args.image,
      registry: args.registry,
      baseImage: args["base-image"],
      force: args.force,
    });
    for (const path of result.written) out(`${c.green("wrote")} ${path}`);
    for (const { path, why } of result.kept) {
      out(`${c.yellow("kept")}  ${path} (${why === "yours" ? "yours: dt init never replaces it, even with --force" : "exists; --force overwrites dt's templates"})`);
    }
    if (!result.gitRepo) info("note: this dir is not in a git repository yet; run 'git init' to make it a workspace");
  },
});

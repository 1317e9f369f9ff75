import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "diff",
    description: "What moved between the Python packages of two images of the target dir: name: old -> new, added, removed",
    usage: "A and B: local, dev or prod (the image a run of that stage uses), STAGE-X.Y.Z (dev-1.2.0), or any image the engine has.\nExample: dt deps diff dev-1.2.0 local",
  },
  args: {
    a: { type: "positional", required: true, description: "The older image", valueHint: "A" },
    b: { type: "positional", required: true, description: "The newer image", valueHint: "B" },
    ...dirArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const [{ loadTarget }, { connectEngine }, { resolveImageSpec }, { packagesOf }, { diffPackages, diffLines, packagesFrom }, { out, outJson, info }] = await Promise.all([
      import("../../core/workspace/target.ts"),
      import("../../core/engine/connect.ts"),
      import("../../core/deps/image-spec.ts"),
      import("../../core/deps/image-packages.ts"),
      import("../../core/deps/packages.ts"),
      import("../../ui/output.ts"),
    ]);
    const [target, engine] = await Promise.all([loadTarget(cwd, args.dir), connectEngine()]);
    const owner = { root: target.root, dir: target.path };
    const [from, to] = [await resolveImageSpec(engine, target, args.a), await resolveImageSpec(engine, target, args.b)];
    const listings = [];
    for (const side of [from, to]) {
      const { listing, taken } = await packagesOf(engine, owner, side.id);
      if (taken) info(`${side.image} was not built by dt in this workspace: listed its packages now, in a container, and recorded them`);
      listings.push(listing);
    }
    const diff = diffPackages(packagesFrom(listings[0]!.packages), packagesFrom(listings[1]!.packages));
    if (args.json) {
      outJson({ from: { ...from, python: listings[0]!.python }, to: { ...to, python: listings[1]!.python }, ...diff });
      return;
    }
    const lines = diffLines(diff);
    if (listings[0]!.python !== listings[1]!.python) lines.unshift(`python: ${listings[0]!.python} -> ${listings[1]!.python}`);
    if (lines.length) out(lines.join("\n"));
    else info(`no package moved between ${from.image} and ${to.image}`);
  },
});

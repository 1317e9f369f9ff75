import { defineCommand } from "../_define.ts";
import { lockArgs, runLock } from "./_lock-run.ts";

export default defineCommand({
  meta: {
    name: "update",
    description: "Update the locked packages (all, or the ones named) to the newest versions pyproject.toml allows; only poetry.lock changes",
    usage: "PKG...: the packages to update (default: all of them).\nExample: dt deps update pandas numpy --bump patch -m \"Update pandas\"",
  },
  args: lockArgs,
  variadic: true,
  run: ({ args, extra, cwd }) => runLock(args, cwd, { kind: "update", packages: extra }),
});

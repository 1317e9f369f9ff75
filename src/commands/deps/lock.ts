import { defineCommand } from "../_define.ts";
import { lockArgs, runLock } from "./_lock-run.ts";

export default defineCommand({
  meta: {
    name: "lock",
    description: "Resolve pyproject.toml into poetry.lock in a container of the local image (same OS and Python), keeping the pins that still fit; written atomically",
  },
  args: lockArgs,
  run: ({ args, cwd }) => runLock(args, cwd, { kind: "lock" }),
});

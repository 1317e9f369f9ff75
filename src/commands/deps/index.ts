import { defineGroup, lazy } from "../_define.ts";

export default defineGroup({
  meta: { name: "deps", description: "Python dependencies of the target dir with poetry, resolved in its local image" },
  subCommands: {
    lock: { description: "Resolve pyproject.toml into poetry.lock in a container of the local image", load: lazy(() => import("./lock.ts")) },
    update: { description: "Update all locked packages, or the ones named, to the newest allowed", load: lazy(() => import("./update.ts")) },
    show: { description: "The Python packages installed in an image, as recorded when dt built it", load: lazy(() => import("./show.ts")) },
    diff: { description: "What moved between the packages of two images (old -> new, added, removed)", load: lazy(() => import("./diff.ts")) },
  },
});

import { defineGroup, lazy } from "../_define.ts";

export default defineGroup({
  meta: { name: "ci", description: "GitHub Actions: the test matrix and the workflow that runs it" },
  subCommands: {
    matrix: { description: "JSON for strategy.matrix: one entry per runnable dir (and shard)", load: lazy(() => import("./matrix.ts")) },
    init: { description: "Write .github/workflows/dt.yml: install dt, compute the matrix, pull, dt test", load: lazy(() => import("./init.ts")) },
  },
});

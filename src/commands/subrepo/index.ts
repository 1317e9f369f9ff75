import { defineGroup, lazy } from "../_define.ts";

export default defineGroup({
  meta: { name: "subrepo", description: "Compose repos from sub-repos (git submodules), at every depth" },
  subCommands: {
    add: { description: "Add a repo as a sub-repo at PATH and initialise its own sub-repos (no commit)", load: lazy(() => import("./add.ts")) },
    ls: { description: "Sub-repos: commit, branch, tracked branch, ahead/behind, dirty, initialised", load: lazy(() => import("./ls.ts")) },
    update: { description: "Check out the recorded commit of every sub-repo; initialise missing ones", load: lazy(() => import("./update.ts")) },
    pull: { description: "Fast-forward every sub-repo to its remote branch (moves no pointer)", load: lazy(() => import("./pull.ts")) },
    "roll-forward": { description: "Commit the sub-repos' current commits as the super-repo's pointers", load: lazy(() => import("./roll-forward.ts")) },
    foreach: { description: "Run a command in every initialised sub-repo, outermost first", load: lazy(() => import("./foreach.ts")) },
  },
});

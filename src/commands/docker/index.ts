import { defineGroup, lazy } from "../_define.ts";

export default defineGroup({
  meta: { name: "docker", description: "Build, run and manage the target dir's container images" },
  subCommands: {
    build: { description: "Build the target dir's image (local or prod) through the Engine API", load: lazy(() => import("./build.ts")) },
    images: { description: "The target dir's images by stage and version", load: lazy(() => import("./images.ts")) },
    bash: { description: "Interactive shell in the target dir's container", load: lazy(() => import("./bash.ts")) },
    cmd: { description: "Run one command in the target dir's container", load: lazy(() => import("./cmd.ts")) },
    jupyter: { description: "JupyterLab in the target dir's container", load: lazy(() => import("./jupyter.ts")) },
    push: { description: "Push the stage's tags to the registry, with layer progress", load: lazy(() => import("./push.ts")) },
    pull: { description: "Pull the stage's image from the registry, with layer progress", load: lazy(() => import("./pull.ts")) },
    release: { description: "Release dev or prod: build, test, tag, push (multi-arch with platforms:)", load: lazy(() => import("./release.ts")) },
    rollback: { description: "Point the dev or prod tag back at a released version", load: lazy(() => import("./rollback.ts")) },
    ps: { description: "dt's containers of this workspace", load: lazy(() => import("./ps.ts")) },
    clean: { description: "Remove dt's stopped or orphaned containers and dangling dt images", load: lazy(() => import("./clean.ts")) },
  },
});

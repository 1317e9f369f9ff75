/** Argument groups shared by commands, declared once and spread in. */
export const jsonArgs = {
  json: { type: "boolean", description: "Print one JSON document on stdout" },
} as const;

export const dirArgs = {
  dir: { type: "string", description: "Runnable dir to act on (default: the one around the current dir)", valueHint: "PATH" },
} as const;

export const stageArgs = {
  stage: { type: "enum" as const, options: ["local", "dev", "prod"], description: "Image stage", valueHint: "local|dev|prod" },
  version: { type: "string" as const, description: "Image version (default: the changelog's)", valueHint: "X.Y.Z" },
};

export const registryArgs = {
  registry: { type: "string", description: "A registry named under registries: in dt.yaml (default: registry:)", valueHint: "NAME" },
} as const;

/** Flags every command accepts; the top level consumes them before a command sees its args. */
export const globalFlags = {
  verbose: "Show debug output and stack traces",
  quiet: "Print only results and errors",
  "no-color": "Do not colour output (also NO_COLOR=1)",
  help: "Show help",
} as const;

/** Options of every command that starts a container of the target dir. */
export const runArgs = {
  ...dirArgs,
  ...stageArgs,
  root: { type: "boolean", description: "Run as root instead of your uid:gid" },
  sibling: { type: "boolean", description: "Mount the engine socket so the container can start sibling containers" },
  dind: { type: "boolean", description: "Privileged container that runs its own engine" },
  "skip-checks": { type: "boolean", description: "Skip the architecture and version checks" },
  network: { type: "string", description: "Container network (default: the engine's default)", valueHint: "NAME" },
  pull: { type: "boolean", description: "Pull the dev/prod image before running" },
} as const;

/** The options object of the run commands, built from their args in one place. */
export function runOptionsFrom(args: Record<string, unknown>, cwd: string) {
  return {
    // Without --dir, the container starts in the current dir's counterpart.
    workdir: args.dir === undefined ? cwd : undefined,
    stage: args.stage as "local" | "dev" | "prod" | undefined,
    version: args.version as string | undefined,
    root: Boolean(args.root),
    sibling: args.sibling as boolean | undefined,
    dind: args.dind as boolean | undefined,
    skipChecks: Boolean(args["skip-checks"]),
    network: args.network as string | undefined,
    pull: Boolean(args.pull),
  };
}

/** `a, b,c` → ["a", "b", "c"]: a comma-separated flag value (`--platform P,...`). */
export const commaList = (value: string | undefined) => value?.split(",").map((p) => p.trim()).filter(Boolean);

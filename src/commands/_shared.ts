import type { ArgsDef, ArgsOf } from "../cli-args.ts";

// Argument groups shared by commands, declared once and spread in. `as const` keeps the enum
// options as literal tuples, which is what gives a command `stage: "local" | "dev" | "prod"`.

export const jsonArgs = {
  json: { type: "boolean", description: "Print one JSON document on stdout" },
} as const satisfies ArgsDef;

export const dirArgs = {
  dir: { type: "string", description: "Runnable dir to act on (default: the one around the current dir)", valueHint: "PATH", complete: "runnable-dirs" },
} as const satisfies ArgsDef;

export const stageArgs = {
  stage: { type: "enum", options: ["local", "dev", "prod"], description: "Image stage", valueHint: "local|dev|prod" },
  version: { type: "string", description: "Image version (default: the changelog's)", valueHint: "X.Y.Z" },
} as const satisfies ArgsDef;

export const registryArgs = {
  registry: { type: "string", description: "A registry named under registries: in dt.yaml (default: registry:)", valueHint: "NAME" },
} as const satisfies ArgsDef;

export const buildArgArgs = {
  "build-arg": { type: "string", description: "KEY=VALUE passed to the Dockerfile, over docker.build_args (repeatable)", valueHint: "KEY=VALUE", repeatable: true },
} as const satisfies ArgsDef;

/** Flags every command accepts; the top level consumes them before a command sees its args. */
export const globalFlags = {
  verbose: "Show debug output and stack traces",
  quiet: "Print only results and errors",
  "no-color": "Do not colour output (also NO_COLOR=1)",
  wide: "Print table cells whole instead of fitting tables in 80 columns",
  help: "Show help",
} as const;

export interface GlobalFlags {
  verbose: boolean;
  quiet: boolean;
  /** undefined: neither --color nor --no-color was given. */
  color: boolean | undefined;
  wide: boolean;
  help: boolean;
}

const GLOBAL_TOKENS = new Set(["--verbose", "--quiet", "-q", "--no-color", "--color", "--wide", "--help", "-h"]);
export const isGlobalFlag = (token: string) => GLOBAL_TOKENS.has(token);

/**
 * Takes the global flags out of argv, wherever they stand before `--`. Pure, so that completion
 * sees the words a run would see without changing any setting.
 */
export function splitGlobalFlags(argv: readonly string[]): { tokens: string[]; flags: GlobalFlags } {
  const tokens: string[] = [];
  const flags: GlobalFlags = { verbose: false, quiet: false, color: undefined, wide: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      tokens.push(...argv.slice(i));
      break;
    }
    if (token === "--verbose") flags.verbose = true;
    else if (token === "--quiet" || token === "-q") flags.quiet = true;
    else if (token === "--no-color") flags.color = false;
    else if (token === "--color") flags.color = true;
    else if (token === "--wide") flags.wide = true;
    else if (token === "--help" || token === "-h") flags.help = true;
    else tokens.push(token);
  }
  return { tokens, flags };
}

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
} as const satisfies ArgsDef;

/** The options object of the run commands, built from their args in one place. */
export function runOptionsFrom(args: ArgsOf<typeof runArgs>, cwd: string) {
  return {
    // Without --dir, the container starts in the current dir's counterpart.
    workdir: args.dir === undefined ? cwd : undefined,
    stage: args.stage,
    version: args.version,
    root: Boolean(args.root),
    sibling: args.sibling,
    dind: args.dind,
    skipChecks: Boolean(args["skip-checks"]),
    network: args.network,
    pull: Boolean(args.pull),
  };
}


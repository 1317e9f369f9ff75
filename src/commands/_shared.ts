/** Argument groups shared by commands, declared once and spread in. */
export const jsonArgs = {
  json: { type: "boolean", description: "Print one JSON document on stdout" },
} as const;

export const dirArgs = {
  dir: { type: "string", description: "Runnable dir to act on (default: the one around the current dir)", valueHint: "PATH" },
} as const;

export const stageArgs = {
  stage: { type: "enum", options: ["local", "dev", "prod"], description: "Image stage", valueHint: "local|dev|prod" },
  version: { type: "string", description: "Image version (default: the changelog's)", valueHint: "X.Y.Z" },
} as const;

/** Flags every command accepts; the top level consumes them before a command sees its args. */
export const globalFlags = {
  verbose: "Show debug output and stack traces",
  quiet: "Print only results and errors",
  "no-color": "Do not colour output (also NO_COLOR=1)",
  help: "Show help",
} as const;

// Injected by scripts/build.ts through `define`; running from source falls back to package.json.
declare const __DT_VERSION__: string | undefined;

export const DT_VERSION: string =
  typeof __DT_VERSION__ === "string" ? __DT_VERSION__ : (await import("../../../package.json")).version;

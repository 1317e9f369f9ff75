// A build plugin: dockerode and docker-modem require ssh2, gRPC and protobufjs when they load,
// for ssh:// engines and BuildKit sessions that dt's usual path never touches. Evaluating them
// costs about as much as the rest of `dt docker cmd`, so the bundle gets small stand-ins that
// load the real module on first use.
import type { BunPlugin } from "bun";

const HEAVY = /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/;

function standIn(name: string): string {
  const load = `let real; const load = () => (real ??= require(${JSON.stringify(name)}));`;
  // docker-modem reads ssh2's Client at load time and only constructs it for ssh:// hosts.
  if (name === "ssh2") return `${load}\nmodule.exports = { Client: function Client(...args) { return new (load().Client)(...args); } };`;
  return `${load}\nmodule.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`;
}

export const lazyHeavyModules: BunPlugin = {
  name: "lazy-heavy-modules",
  setup(build) {
    build.onResolve({ filter: HEAVY }, (args) => {
      // The stand-in's own require of the module resolves to the real package. Bun reports that
      // require's namespace as "file", with the stand-in's path ("ssh2") as importer; checking
      // the namespace alone sent it back to the stand-in, which then constructed itself forever.
      if (args.namespace === "lazy" || args.importer === args.path) return { path: require.resolve(args.path, { paths: [import.meta.dir] }) };
      return { path: args.path, namespace: "lazy" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy" }, (args) => ({ contents: standIn(args.path), loader: "js" }));
  },
};

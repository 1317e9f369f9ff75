// A stand-in registry on 127.0.0.1 that holds nothing: every request is answered 404 "manifest
// unknown" and recorded in `asked` ("METHOD /path"), so a test can say what dt asked and that it
// never wrote. For in-process tests that must not depend on the test bed's registry.
export function emptyRegistry(asked: string[]): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      asked.push(`${req.method} ${new URL(req.url).pathname}`);
      return Response.json({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }, { status: 404 });
    },
  });
}

// A stand-in registry on 127.0.0.1 that holds nothing: every request is answered 404 "manifest
// unknown" and recorded in `asked` ("METHOD /path"), so a test can say what dt asked and that it
// never wrote. For in-process tests that must not depend on the test bed's registry.
import { afterAll, beforeAll } from "bun:test";

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

/** One emptyRegistry for the test file: started before its tests, stopped after them. */
export function useEmptyRegistry(): { asked: string[]; port: () => number } {
  const asked: string[] = [];
  let server: ReturnType<typeof Bun.serve> | undefined;
  beforeAll(() => {
    server = emptyRegistry(asked);
  });
  afterAll(() => {
    server?.stop(true);
  });
  return { asked, port: () => server!.port! };
}

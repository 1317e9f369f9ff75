// pushImage against the fake engine: the progress stream read to its end, its digest kept,
// its last line's error turned into the error a user can act on.
import { describe, expect, test } from "bun:test";
import { pushImage, type TransferProgress } from "../../../../src/core/registry/transfer.ts";
import { dtRejectionOf } from "../../../support/errors.ts";
import { FakeEngine } from "../../../support/fake-engine.ts";

const REPO = "127.0.0.1:9/team/app";

function withImage() {
  const engine = new FakeEngine();
  engine.addImage({ tags: [`${REPO}:dev-0.1.0`] });
  return engine;
}

describe("pushImage", () => {
  // e2e: release.test.ts "dt docker build --push: pushes the built stage's versioned and floating tags ... with the same digest"
  test("returns the digest the engine reported, and progress ends with every layer done", async () => {
    const engine = withImage();
    const progress: TransferProgress[] = [];
    const { digest } = await pushImage(engine, REPO, "dev-0.1.0", undefined, (p) => progress.push(p));
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(engine.image(`${REPO}:dev-0.1.0`)?.RepoDigests).toEqual([`${REPO}@${digest}`]);
    expect(progress.at(-1)).toEqual({ layers: 1, layersDone: 1, current: 1024, total: 1024 });
  });

  // e2e: release.test.ts "credentials (htpasswd registry)": a push with a wrong password is exit 3
  test("a registry refusing the push is exit 3 with the docker login hint", async () => {
    const engine = withImage();
    engine.pushError = "unauthorized: authentication required";
    const e = await dtRejectionOf(pushImage(engine, REPO, "dev-0.1.0", undefined));
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`registry 127.0.0.1:9 refused pushing ${REPO}:dev-0.1.0: unauthorized: authentication required`);
    expect(e.hint).toContain("docker login 127.0.0.1:9");
  });

  // e2e: test/e2e/registry-failures.test.ts › dt docker push › to a registry nothing listens on (127.0.0.1, a closed port): exit 3 naming that address, and the built image stays as it was
  test("a registry the engine cannot reach is exit 3 pointing at the registry address", async () => {
    const engine = withImage();
    engine.pushError = "Get \"http://127.0.0.1:9/v2/\": dial tcp 127.0.0.1:9: connect: connection refused";
    const e = await dtRejectionOf(pushImage(engine, REPO, "dev-0.1.0", undefined));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("is not reachable");
    expect(e.hint).toContain("registry:");
  });
});

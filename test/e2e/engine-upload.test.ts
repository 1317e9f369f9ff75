// dt's own POST /build against the real engine: what the engine does with a context it refuses
// (it answers before reading the body and hangs up) and with one it takes.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { collectContext } from "../../src/core/build/context.ts";
import { engineError } from "../../src/core/engine/engine-errors.ts";
import { plainEngineAddress } from "../../src/core/engine/engine-host.ts";
import { postUpload } from "../../src/core/engine/upload.ts";
import { readJsonLines } from "../../src/core/base/json-lines.ts";
import { lentTarChunks, tarSize } from "../../src/core/build/tar-writer.ts";
import { cleanupAll, testdir } from "../support/fixtures.ts";
import { testbed } from "../support/testbed.ts";

const tb = testbed();
setDefaultTimeout(120_000);
afterAll(cleanupAll);

const address = () => {
  const found = plainEngineAddress({ ...process.env, ...(tb.dockerHost ? { DOCKER_HOST: tb.dockerHost } : {}) });
  if (!found) throw new Error("the test bed's engine is not on a plain socket");
  return found;
};

/** A context of `files` × 8 KB (16 MB for 2,000), more than the socket buffers hold. */
function bigContext(files: number, dockerfile: string) {
  const tree: Record<string, string> = { Dockerfile: dockerfile };
  for (let i = 0; i < files; i++) tree[`data/f${i}.txt`] = String(i % 10).repeat(8192);
  return collectContext(testdir(tree).path, null).entries;
}

test("a build the engine refuses while the context is still being sent: the engine's own message, not a broken pipe", async () => {
  const entries = bigContext(2000, `FROM ${tb.images.busybox}\n`);
  const send = (query: string) =>
    postUpload(address(), { path: `/build?${query}`, contentType: "application/x-tar", length: tarSize(entries), body: lentTarChunks(entries) });

  const badTag = await send("t=Not%20A%20Tag").then(
    () => null,
    (e: unknown) => e as Error & { statusCode?: number },
  );
  expect(badTag?.statusCode).toBeGreaterThanOrEqual(400);
  expect(engineError(badTag, "building x").message).toContain("the engine refused building x: invalid reference format");

  const noDockerfile = await send("dockerfile=nope.Dockerfile").then(
    () => null,
    (e: unknown) => e as Error & { statusCode?: number },
  );
  expect(noDockerfile?.statusCode).toBe(500);
  const mapped = engineError(noDockerfile, "building x");
  expect(mapped.message).toBe("the engine refused building x: Cannot locate specified Dockerfile: nope.Dockerfile");
  expect(mapped.exitCode).toBe(3);
});

test("a 16 MB context sent in lent chunks arrives whole: the build sees every file", async () => {
  const entries = bigContext(2000, `FROM ${tb.images.busybox}\nCOPY data /data\nRUN test "$(cat /data/* | wc -c)" = 16384000 && test "$(ls /data | wc -l)" = 2000\n`);
  const response = await postUpload(address(), {
    path: `/build?${new URLSearchParams({ networkmode: "none", rm: "true", forcerm: "true", labels: JSON.stringify({ "dt.test": "engine-upload" }) })}`,
    contentType: "application/x-tar",
    length: tarSize(entries),
    body: lentTarChunks(entries),
  });
  const lines: Record<string, any>[] = [];
  await readJsonLines(response.body, (o) => lines.push(o));
  expect(lines.find((l) => l.error)).toBeUndefined();
  const id = lines.find((l) => l.aux?.ID)?.aux.ID as string | undefined;
  expect(id).toMatch(/^sha256:/);
  Bun.spawnSync(["docker", "rmi", "--force", id!], { env: { ...process.env, ...(tb.dockerHost ? { DOCKER_HOST: tb.dockerHost } : {}) } });
});

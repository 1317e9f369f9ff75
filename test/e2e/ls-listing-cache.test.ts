// `dt ls` keeps the answer of its labelled listing (a dir's local image under an earlier name)
// while the engine's image count stays and no image event came since. On a private engine (test/
// support/second-engine.ts), whose image count only this file moves: an image removed and
// another made leave the count as it was, and ls must still see the removal.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { dtJson } from "../support/dt.ts";
import { cleanupAll, makeRepo, testdir } from "../support/fixtures.ts";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.ts";
import { testbed } from "../support/testbed.ts";

setDefaultTimeout(180_000);

let engine: SecondEngine;

beforeAll(async () => {
  engine = await startSecondEngine({ images: [testbed().images.busybox] });
});

afterAll(async () => {
  await engine?.destroy();
  cleanupAll();
});

const imageCount = async () => ((await engine.api().info()) as { Images: number }).Images;

test("an image removed and another made (the count as it was): dt ls no longer says BUILT local", async () => {
  const tmp = testdir().path;
  const env = { ...engine.env, USER: "dttest", XDG_CACHE_HOME: join(tmp, "cache") };
  const root = makeRepo(join(tmp, "ws"), {
    "dt.yaml": `name: lscache\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": "# lscache-0.1.0\n- 2026-11-20\n- Initial\n",
    "devops/.keep": "",
  });
  const build = await dtJson(["docker", "build", "--json"], { cwd: root, env });
  expect(build.result.code).toBe(0);
  const builtAs: string = build.json.image;
  expect(typeof builtAs).toBe("string");

  // Under another registry, the dir's exact local name is another: ls finds the image by its labels.
  writeFileSync(join(root, "dt.yaml"), `name: lscache\nbase_image: ${testbed().images.busybox}\nregistry: reg.example:5000\n`);
  const ls = async () => {
    const r = await dtJson<{ runnableDirs: { stages: { local: boolean } | null }[] }>(["ls", "--json"], { cwd: root, env });
    expect(r.result.code).toBe(0);
    return r.json.runnableDirs[0]!.stages?.local;
  };
  expect(await ls()).toBe(true);
  expect(await ls()).toBe(true);
  const before = await imageCount();

  // `docker rmi` of that image (its build's parents go with it), then as many new images as went.
  const { Id } = await engine.api().getImage(builtAs).inspect();
  await engine.api().getImage(Id).remove({ force: true });
  const container = await engine.api().createContainer({ Image: testbed().images.busybox, Cmd: ["true"] });
  try {
    for (let i = 0; (await imageCount()) < before && i < 50; i++) await container.commit({ repo: "lscache-filler", tag: `t${i}` });
  } finally {
    await container.remove({ force: true });
  }
  expect(await imageCount()).toBe(before);
  expect(await ls()).toBe(false);
});

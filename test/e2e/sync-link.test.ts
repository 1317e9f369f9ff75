// dt sync's link mode on the older toolchain's layout: runnable dirs whose devops files are
// relative symlinks into the helpers_root sub-repo. Real git repos, a real submodule, the
// compiled binary. The workspace is built once; every test works on its own copy of it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addSubmodule, cleanupAll, git, makeRepo, runnableFiles, testdir, writeTree } from "../support/fixtures.ts";
import { dt, dtJson } from "../support/dt.ts";

afterAll(cleanupAll);

const DOCKERFILE = "devops/docker_build/dev.Dockerfile";
const UPSTREAM_DOCKERFILE = "FROM python:3.12-slim\nRUN pip install invoke\n";
const APPS = ["a", "b", "c"] as const;
const linkPath = (app: string) => `apps/${app}/${DOCKERFILE}`;
/** From apps/X/devops/docker_build/ up to the root, then into the sub-repo. */
const LINK_TEXT = `../../../../helpers_root/${DOCKERFILE}`;
const DT_YAML = `name: legacy
sync:
  from: helpers_root
  files:
    - from: ${DOCKERFILE}
      to: ["apps/*/${DOCKERFILE}"]
      mode: link
`;

let template: string;

beforeAll(() => {
  const tmp = testdir().path;
  const helpers = makeRepo(join(tmp, "helpers"), { [DOCKERFILE]: UPSTREAM_DOCKERFILE, "README.md": "# helpers\n" });
  const files: Record<string, string> = { "README.md": "# legacy\n", "dt.yaml": DT_YAML };
  for (const app of APPS) {
    Object.assign(files, runnableFiles(app, `apps/${app}`));
    // git keeps no empty dirs: .keep makes devops/docker_build/ part of the repo.
    files[`apps/${app}/devops/docker_build/.keep`] = "";
  }
  template = makeRepo(join(tmp, "ws"), files);
  addSubmodule(template, helpers, "helpers_root");
});

/** A private copy of the workspace (its git dirs included, the sub-repo's pointers are relative). */
function workspace(): { ws: string; sub: string } {
  const ws = join(testdir().path, "ws");
  const r = Bun.spawnSync(["cp", "-a", template, ws]);
  if (r.exitCode !== 0) throw new Error(`cp -a failed: ${r.stderr.toString()}`);
  return { ws, sub: join(ws, "helpers_root") };
}

const isLink = (p: string) => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};
const status = (ws: string) => git(ws, ["status", "--porcelain", "--untracked-files=all"]).split("\n").filter(Boolean).sort();

describe("dt sync, mode link", () => {
  test("creates the three relative links; --check then passes; git sees only the links and the lock", async () => {
    const { ws, sub } = workspace();
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    for (const app of APPS) {
      const link = join(ws, linkPath(app));
      expect(isLink(link)).toBe(true);
      expect(readlinkSync(link)).toBe(LINK_TEXT);
      expect(realpathSync(link)).toBe(realpathSync(join(sub, DOCKERFILE)));
      expect(readFileSync(link, "utf8")).toBe(UPSTREAM_DOCKERFILE);
      expect(r.stdout).toContain(`linked ${linkPath(app)} -> ${LINK_TEXT}\n`);
    }
    expect(readFileSync(join(ws, ".dt/sync.lock"), "utf8")).toContain(`links:\n  ${linkPath("a")}: "${LINK_TEXT}"\n`);
    expect(status(ws)).toEqual(["?? .dt/sync.lock", ...APPS.map((app) => `?? ${linkPath(app)}`)]);
    // Committed, they are symlinks to git (mode 120000), not copies of the file.
    git(ws, ["add", "-A"]);
    const staged = git(ws, ["ls-files", "-s", "--", "apps"]).split("\n").filter((l) => l.endsWith("dev.Dockerfile"));
    expect(staged).toHaveLength(3);
    for (const line of staged) expect(line.startsWith("120000 ")).toBe(true);

    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(APPS.map((app) => `in sync  ${linkPath(app)} -> ${LINK_TEXT}\n`).join(""));
    const again = await dtJson(["sync", "--json"], { cwd: ws });
    expect(again.json.lock.written).toBe(false);
  });

  test("--dry-run prints the plan and changes nothing", async () => {
    const { ws } = workspace();
    const dry = await dt(["sync", "--dry-run"], { cwd: ws });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(APPS.map((app) => `would link ${linkPath(app)} -> ${LINK_TEXT}\n`).join(""));
    for (const app of APPS) expect(existsSync(join(ws, linkPath(app)))).toBe(false);
    expect(existsSync(join(ws, ".dt"))).toBe(false);
    expect(status(ws)).toEqual([]);
  });

  test("a removed link fails --check with the would-link line of that dir only; dt sync restores it", async () => {
    const { ws } = workspace();
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    rmSync(join(ws, linkPath("b")));
    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);
    const would = check.stdout.split("\n").filter((l) => l.startsWith("would link"));
    expect(would).toEqual([`would link ${linkPath("b")} -> ${LINK_TEXT} (was removed here)`]);
    expect(check.stdout).toContain(`in sync  ${linkPath("a")} -> ${LINK_TEXT}\n`);
    expect(check.stdout).toContain(`in sync  ${linkPath("c")} -> ${LINK_TEXT}\n`);
    expect(existsSync(join(ws, linkPath("b")))).toBe(false);

    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(readlinkSync(join(ws, linkPath("b")))).toBe(LINK_TEXT);
    expect((await dt(["sync", "--check"], { cwd: ws })).code).toBe(0);
  });

  test("a user's regular file where a link goes is customised: kept without --force, replaced with it", async () => {
    const { ws, sub } = workspace();
    const mine = "FROM python:3.11\n# this app's own\n";
    // Written before dt ever links there: a file the user owns.
    writeFileSync(join(ws, linkPath("c")), mine);
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept (customised)  ${linkPath("c")} (customised: a file here, not dt's link; --force replaces it)`);
    expect(isLink(join(ws, linkPath("c")))).toBe(false);
    expect(readFileSync(join(ws, linkPath("c")), "utf8")).toBe(mine);
    expect(readlinkSync(join(ws, linkPath("a")))).toBe(LINK_TEXT);
    expect((await dt(["sync"], { cwd: ws })).stdout).toContain(`kept (customised)  ${linkPath("c")}`);

    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);

    const forced = await dt(["sync", "--force"], { cwd: ws });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`linked ${linkPath("c")} -> ${LINK_TEXT} (replaces a file here, by --force)`);
    expect(readlinkSync(join(ws, linkPath("c")))).toBe(LINK_TEXT);
    expect(readFileSync(join(sub, DOCKERFILE), "utf8")).toBe(UPSTREAM_DOCKERFILE);
    expect((await dt(["sync", "--check"], { cwd: ws })).code).toBe(0);
  });

  test("a wrong link dt wrote is replaced; a user's own link is kept", async () => {
    const { ws, sub } = workspace();
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    // Upstream moves the file and dt.yaml follows: dt's links now point at the old place.
    git(sub, ["mv", DOCKERFILE, "devops/dev.Dockerfile"]);
    git(sub, ["commit", "-q", "-m", "move"]);
    writeFileSync(join(ws, "dt.yaml"), DT_YAML.replace(`from: ${DOCKERFILE}`, "from: devops/dev.Dockerfile"));
    // Meanwhile app b points its link at a Dockerfile of its own.
    rmSync(join(ws, linkPath("b")));
    symlinkSync("custom.Dockerfile", join(ws, linkPath("b")));
    const newText = "../../../../helpers_root/devops/dev.Dockerfile";

    const check = await dt(["sync", "--check"], { cwd: ws });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`would link ${linkPath("a")} -> ${newText} (replaces a link to ${LINK_TEXT})`);
    expect(check.stdout).toContain(`kept (customised)  ${linkPath("b")} (customised: a link to custom.Dockerfile here, not dt's link; --force replaces it)`);

    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(readlinkSync(join(ws, linkPath("a")))).toBe(newText);
    expect(readlinkSync(join(ws, linkPath("c")))).toBe(newText);
    expect(readlinkSync(join(ws, linkPath("b")))).toBe("custom.Dockerfile");
    expect(readFileSync(join(ws, linkPath("a")), "utf8")).toBe(UPSTREAM_DOCKERFILE);
    // The lock keeps dt's old text for b: the link there is still not dt's.
    expect(readFileSync(join(ws, ".dt/sync.lock"), "utf8")).toContain(`  ${linkPath("b")}: "${LINK_TEXT}"\n`);
  });

  test("an entry switched from copy to link: dt's unchanged copies become links without --force", async () => {
    const { ws } = workspace();
    writeFileSync(join(ws, "dt.yaml"), DT_YAML.replace("mode: link", "mode: copy"));
    expect((await dt(["sync"], { cwd: ws })).code).toBe(0);
    expect(isLink(join(ws, linkPath("a")))).toBe(false);
    expect(readFileSync(join(ws, linkPath("a")), "utf8")).toBe(UPSTREAM_DOCKERFILE);
    writeFileSync(join(ws, linkPath("c")), "FROM edited\n");

    writeFileSync(join(ws, "dt.yaml"), DT_YAML);
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`linked ${linkPath("a")} -> ${LINK_TEXT} (replaces dt's copy)`);
    expect(readlinkSync(join(ws, linkPath("b")))).toBe(LINK_TEXT);
    expect(r.stdout).toContain(`kept (customised)  ${linkPath("c")}`);
    expect(readFileSync(join(ws, linkPath("c")), "utf8")).toBe("FROM edited\n");

    // And back: a copy replaces dt's link, not the file the link leads to.
    writeFileSync(join(ws, "dt.yaml"), DT_YAML.replace("mode: link", "mode: copy"));
    const back = await dt(["sync"], { cwd: ws });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`updated  ${linkPath("a")} (replaces dt's link)`);
    expect(isLink(join(ws, linkPath("a")))).toBe(false);
    expect(readFileSync(join(ws, "helpers_root", DOCKERFILE), "utf8")).toBe(UPSTREAM_DOCKERFILE);
  });

  test("an old lock (copies only, no links key) is read: the copy it records gives way to the link", async () => {
    const { ws } = workspace();
    // As an older dt left it after syncing the Dockerfile to app a as a copy.
    writeTree(ws, { [linkPath("a")]: UPSTREAM_DOCKERFILE });
    const sha = new Bun.CryptoHasher("sha256").update(UPSTREAM_DOCKERFILE).digest("hex");
    const oldLock = [
      "# Written by 'dt sync'; commit it, do not edit it.",
      "version: 1",
      'from: "helpers_root"',
      `commit: "${"0".repeat(40)}"`,
      "files:",
      `  ${linkPath("a")}:`,
      `    sha256: "${sha}"`,
      "    executable: false",
      "",
    ].join("\n");
    writeTree(ws, { ".dt/sync.lock": oldLock });
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`linked ${linkPath("a")} -> ${LINK_TEXT} (replaces dt's copy)`);
    expect(readlinkSync(join(ws, linkPath("a")))).toBe(LINK_TEXT);
    const lock = readFileSync(join(ws, ".dt/sync.lock"), "utf8");
    expect(lock).toContain(`links:\n  ${linkPath("a")}: "${LINK_TEXT}"`);
    expect(lock).toContain("files: {}\n");
  });

  test("input errors name their dt.yaml line: a typo'd key, a destination in the sub-repo or outside, a missing source", async () => {
    const { ws } = workspace();
    const run = async (yaml: string) => {
      writeFileSync(join(ws, "dt.yaml"), yaml);
      return dt(["sync"], { cwd: ws });
    };
    const typo = await run(DT_YAML.replace("mode: link", "mdoe: link"));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("dt.yaml:7:7: unknown key 'sync.files[0].mdoe'. Did you mean 'mode'?");
    const badMode = await run(DT_YAML.replace("mode: link", "mode: symlink"));
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain('sync.files[0].mode: expected one of copy, link, got "symlink"');

    const inSub = await run(DT_YAML.replace(`to: ["apps/*/${DOCKERFILE}"]`, `to: ["apps/*/${DOCKERFILE}", "helpers_root/x"]`));
    expect(inSub.code).toBe(2);
    expect(inSub.stderr).toMatch(/dt\.yaml:6:\d+: sync\.files\[0\]\.to\[1\] "helpers_root\/x" is inside the sub-repo helpers_root/);
    const outside = await run(DT_YAML.replace(`to: ["apps/*/${DOCKERFILE}"]`, `to: ["../x"]`));
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/dt\.yaml:6:\d+: sync\.files\[0\]\.to\[0\] "\.\.\/x" leaves the workspace/);
    const missing = await run(DT_YAML.replace(`from: ${DOCKERFILE}`, "from: devops/docker_build/prod.Dockerfile"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('dt.yaml:5:13: sync.files[0].from "devops/docker_build/prod.Dockerfile" does not exist in helpers_root');
    // Nothing was written by any of them.
    for (const app of APPS) expect(existsSync(join(ws, linkPath(app)))).toBe(false);
    expect(existsSync(join(ws, ".dt"))).toBe(false);
  });

  test("a glob that matches no directory is a warning and makes none; a plain path makes its dirs", async () => {
    const { ws } = workspace();
    const to = `to: ["apps/*/${DOCKERFILE}", "services/*/${DOCKERFILE}", "tools/new/dev.Dockerfile"]`;
    writeFileSync(join(ws, "dt.yaml"), DT_YAML.replace(`to: ["apps/*/${DOCKERFILE}"]`, to));
    const r = await dt(["sync"], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/dt\.yaml:6:\d+: sync\.files\[0\]\.to\[1\] "services\/\*\/devops\/docker_build\/dev\.Dockerfile" matches no directory/);
    expect(existsSync(join(ws, "services"))).toBe(false);
    for (const app of APPS) expect(readlinkSync(join(ws, linkPath(app)))).toBe(LINK_TEXT);
    expect(readlinkSync(join(ws, "tools/new/dev.Dockerfile"))).toBe(`../../helpers_root/${DOCKERFILE}`);
    expect(readFileSync(join(ws, "tools/new/dev.Dockerfile"), "utf8")).toBe(UPSTREAM_DOCKERFILE);
    const { json } = await dtJson(["sync", "--check", "--json"], { cwd: ws });
    expect(json.warnings).toHaveLength(1);
    expect(json.ok).toBe(true);
  });

  test("dt config --schema describes the entry: a path, or {from, to, mode} and nothing else", async () => {
    const { ws } = workspace();
    const { json } = await dtJson(["config", "--schema"], { cwd: ws });
    const entry = json.properties.sync.properties.files.items;
    expect(entry.oneOf[0].type).toBe("string");
    expect(entry.oneOf[1].type).toBe("object");
    expect(entry.oneOf[1].additionalProperties).toBe(false);
    expect(Object.keys(entry.oneOf[1].properties)).toEqual(["from", "to", "mode"]);
    expect(entry.oneOf[1].properties.mode.enum).toEqual(["copy", "link"]);
    expect(entry.oneOf[1].properties.to.oneOf.map((o: { type: string }) => o.type)).toEqual(["string", "array"]);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  configRows,
  loadConfig,
  mergeValues,
  parseConfigText,
  sanitizeName,
} from "../../../../src/core/config/config.ts";
import type { ConfigLayer } from "../../../../src/core/config/layer.ts";
import { parseRepoConfigPy, parseRepoConfigYaml } from "../../../../src/core/config/older-config.ts";
import { DEFAULT_SUITES, DT_YAML_SCHEMA, defaults, toJsonSchema, type Schema } from "../../../../src/core/config/schema.ts";
import { DtError, DtErrors } from "../../../../src/core/base/errors.ts";
import { fuzzSeed, lineCount, mutate, rng } from "../../fuzz.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { fits } from "../../../support/schema-fits.ts";

/** The example of the SPEC, verbatim (line numbers below refer to it). */
const SPEC_YAML = `name: cmamp                  # short name of the repo (default: root dir name)
image: cmamp                 # image base name (default: name; per runnable dir: dir name)
registry: ghcr.io/acme       # default registry prefix (env DT_REGISTRY overrides)
registries:                  # named registries for push/release (--registry NAME)
  ecr: 123456789.dkr.ecr.eu-north-1.amazonaws.com/acme
platforms: [linux/amd64, linux/arm64]   # for multi-arch builds and releases
builders:                    # optional: a native engine per platform (DOCKER_HOST syntax);
  linux/arm64: ssh://ci@arm-builder   # platforms without one build on the local engine (QEMU)
base_image: python:3.12-slim # FROM of the embedded dev template
version_policy: minor        # code vs container: exact | minor | major (default minor)
docker:
  mount: same-path           # same-path (default) | /app ; where the workspace is mounted
  sibling: false             # mount the engine socket so the container can start siblings
  dind: false                # privileged container running its own engine
  env: [AWS_PROFILE, "*_API_KEY"]   # host variables passed through (globs allowed)
  volumes: ["~/.aws:/home/dt/.aws:ro"]
test:
  suites:                    # defaults shown
    fast:      {marker: "not slow and not superslow", timeout: 5}
    slow:      {marker: "slow and not superslow",     timeout: 30}
    superslow: {marker: "superslow",                  timeout: 3600}
  depends_on: [helpers_root] # paths whose changes affect every runnable dir (--changed)
setenv:
  path: [dev_scripts]        # dirs put on PATH (relative to each repo root)
  pythonpath: [".", helpers_root]
sync:
  from: helpers_root         # sub-repo that is the source of common files
  files: [pytest.ini, conftest.py, .pre-commit-config.yaml, .github/workflows/dt.yml]
tasks:                       # dt run NAME
  lint: dt docker cmd -- ruff check .
  all-tests: [dt test --suite fast, dt test --suite slow]
`;

/** The problems of an invalid text as `where: message` lines. */
function problemsOf(text: string, file = "dt.yaml"): { where: string; message: string }[] {
  const e = dtErrorOf(() => parseConfigText(text, file));
  expect(e).toBeInstanceOf(DtErrors);
  expect(e.exitCode).toBe(2);
  const problems = (e as DtErrors).problems;
  expect(problems.length).toBeGreaterThan(0);
  // The combined message has one line per problem, each `where: message`.
  expect(e.message.split("\n")).toEqual(problems.map((p) => `${p.where}: ${p.message}`));
  for (const p of problems) expect(p.exitCode).toBe(2);
  return problems.map((p) => ({ where: p.where!, message: p.message }));
}

describe("parseConfigText: valid", () => {
  test("the SPEC's full example parses to its values", () => {
    const { values, sources } = parseConfigText(SPEC_YAML, "dt.yaml");
    expect(values).toEqual({
      name: "cmamp",
      image: "cmamp",
      registry: "ghcr.io/acme",
      registries: { ecr: "123456789.dkr.ecr.eu-north-1.amazonaws.com/acme" },
      platforms: ["linux/amd64", "linux/arm64"],
      builders: { "linux/arm64": "ssh://ci@arm-builder" },
      base_image: "python:3.12-slim",
      version_policy: "minor",
      docker: { mount: "same-path", sibling: false, dind: false, env: ["AWS_PROFILE", "*_API_KEY"], volumes: ["~/.aws:/home/dt/.aws:ro"] },
      test: {
        suites: {
          fast: { marker: "not slow and not superslow", timeout: 5 },
          slow: { marker: "slow and not superslow", timeout: 30 },
          superslow: { marker: "superslow", timeout: 3600 },
        },
        depends_on: ["helpers_root"],
      },
      setenv: { path: ["dev_scripts"], pythonpath: [".", "helpers_root"] },
      sync: { from: "helpers_root", files: ["pytest.ini", "conftest.py", ".pre-commit-config.yaml", ".github/workflows/dt.yml"] },
      tasks: { lint: "dt docker cmd -- ruff check .", "all-tests": ["dt test --suite fast", "dt test --suite slow"] },
    });
    expect(sources).toMatchObject({
      name: "dt.yaml:1",
      "registries.ecr": "dt.yaml:5",
      platforms: "dt.yaml:6",
      "builders.linux/arm64": "dt.yaml:8",
      version_policy: "dt.yaml:10",
      "docker.sibling": "dt.yaml:13",
      "docker.env": "dt.yaml:15",
      "test.suites.slow.timeout": "dt.yaml:20",
      "tasks.lint": "dt.yaml:30",
      "tasks.all-tests": "dt.yaml:31",
    });
    // lists are one source, not one per item
    expect(Object.keys(sources).some((k) => k.includes("["))).toBe(false);
  });

  test("the defaults, written out (JSON is YAML), are valid", () => {
    const written: Record<string, any> = { name: "cmamp", image: "cmamp", ...defaults() };
    delete written.registry; // null: the absence of a value, not a value one can write
    delete written.sync.from;
    delete written.docker.memory;
    expect(parseConfigText(JSON.stringify(written, null, 2), "dt.yaml").values).toEqual(written);
  });

  test("empty texts, comments only, and an explicit empty document are an empty layer", () => {
    for (const text of ["", "\n\n", "# nothing here\n", "---\n", "~\n", "null\n"]) {
      expect(parseConfigText(text, "dt.yaml")).toEqual({ values: {}, sources: {} });
    }
  });

  test("accepted variants: absolute mount, image with a namespace, platform variants, number timeouts", () => {
    const { values } = parseConfigText(
      "image: team/cm-amp.v2\nplatforms: [linux/arm/v7, linux/amd64]\ndocker: {mount: /app}\ntest: {suites: {gpu: {timeout: 0.5}}}\n",
      "dt.yaml",
    );
    expect(values).toEqual({
      image: "team/cm-amp.v2",
      platforms: ["linux/arm/v7", "linux/amd64"],
      docker: { mount: "/app" },
      test: { suites: { gpu: { timeout: 0.5 } } },
    });
  });
});

describe("parseConfigText: invalid, each problem at file:line:col", () => {
  test("a typo'd key gets a did-you-mean", () => {
    const [p, ...more] = problemsOf("name: cmamp\nimag: cmamp\n");
    expect(more).toEqual([]);
    expect(p!.where).toBe("dt.yaml:2:1");
    expect(p!.message).toContain("unknown key 'imag'");
    expect(p!.message).toContain("Did you mean 'image'");
  });

  test("a typo'd nested key gets a did-you-mean at its own column", () => {
    const e = dtErrorOf(() => parseConfigText("docker:\n  sibbling: true\n", "dt.yaml"));
    expect(e.message).toBe("dt.yaml:2:3: unknown key 'docker.sibbling'. Did you mean 'sibling'?");
    expect(e.hint).toContain("known keys under docker: mount, sibling, dind, env, volumes");
  });

  test("a key nothing like a known one gets no suggestion", () => {
    const [p] = problemsOf("zzzzzzzz: 1\n");
    expect(p!.message).not.toContain("Did you mean");
  });

  test("docker.sibling: yes is not a boolean (YAML 1.2)", () => {
    expect(problemsOf("docker:\n  sibling: yes\n")).toEqual([
      { where: "dt.yaml:2:12", message: 'docker.sibling: expected true or false, got "yes"' },
    ]);
  });

  test("platforms as a string instead of a list", () => {
    expect(problemsOf("platforms: linux/amd64\n")).toEqual([
      { where: "dt.yaml:1:12", message: 'platforms: expected a list, got "linux/amd64"' },
    ]);
  });

  test('test.suites.fast.timeout: "x"', () => {
    expect(problemsOf('test:\n  suites:\n    fast:\n      timeout: "x"\n')).toEqual([
      { where: "dt.yaml:4:16", message: 'test.suites.fast.timeout: expected a number >= 0, got "x"' },
    ]);
    expect(problemsOf("test: {suites: {fast: {timeout: -1}}}\n")[0]!.message).toContain("expected a number >= 0, got -1");
    expect(problemsOf("test: {suites: {fast: {timeout: .nan}}}\n")[0]!.message).toContain("expected a number");
  });

  test("other wrong values: enum with suggestion, pattern, platform keys, list items, tasks", () => {
    expect(problemsOf("version_policy: minr\n")).toEqual([
      { where: "dt.yaml:1:17", message: 'version_policy: expected one of exact, minor, major, got "minr". Did you mean \'minor\'?' },
    ]);
    expect(problemsOf("test: {cache: regsitry}\n")[0]!.message).toBe('test.cache: expected one of local, registry, off, got "regsitry". Did you mean \'registry\'?');
    expect(problemsOf("test: {cache_size: 1 GB}\n")[0]!.message).toBe('test.cache_size: expected a size like 100MB or 1GB, got "1 GB"');
    expect(problemsOf("name: CMAMP\n")[0]!.message).toBe('name: expected a lowercase name like cmamp, got "CMAMP"');
    expect(problemsOf("docker: {mount: app}\n")[0]).toEqual({
      where: "dt.yaml:1:17",
      message: 'docker.mount: expected same-path or an absolute path like /app, got "app"',
    });
    expect(problemsOf("builders:\n  arm64: ssh://x\n")[0]).toEqual({
      where: "dt.yaml:2:3",
      message: "builders.arm64: expected a platform like linux/arm64 as key",
    });
    // A bare host name is what ssh takes, not what an engine address is.
    expect(problemsOf("builders:\n  linux/arm64: ci@arm-host\n")[0]).toEqual({
      where: "dt.yaml:2:16",
      message: 'builders.linux/arm64: expected an engine address like ssh://user@host, tcp://host:2376 or unix:///var/run/docker.sock, got "ci@arm-host"',
    });
    const addresses = "builders:\n  linux/arm64: ssh://ci@arm-host\n  linux/amd64: tcp://10.0.0.5:2376\n  linux/s390x: unix:///run/b.sock\n";
    expect(Object.keys(parseConfigText(addresses, "dt.yaml").values.builders as object)).toEqual(["linux/arm64", "linux/amd64", "linux/s390x"]);
    expect(problemsOf("platforms:\n  - linux/amd64\n  - amd64\n")[0]).toEqual({
      where: "dt.yaml:3:5",
      message: 'platforms[1]: expected a platform like linux/amd64, got "amd64"',
    });
    expect(problemsOf("setenv:\n  path: [bin, 3]\n")[0]).toEqual({ where: "dt.yaml:2:15", message: "setenv.path[1]: expected a string, got 3" });
    expect(problemsOf("tasks:\n  lint: {run: x}\n")[0]).toEqual({
      where: "dt.yaml:2:9",
      message: "tasks.lint: expected a command string or a list of command strings, got a mapping",
    });
    expect(problemsOf("tasks:\n  lint: [a, 1]\n")[0]!.message).toBe(
      "tasks.lint: expected a command string or a list of command strings, got a list",
    );
    expect(problemsOf("registries: [a]\n")[0]!.message).toBe("registries: expected a mapping, got a list");
    expect(problemsOf("- a\n- b\n")).toEqual([{ where: "dt.yaml:1:1", message: "dt.yaml: expected a mapping, got a list" }]);
    expect(problemsOf("just text\n")).toEqual([{ where: "dt.yaml:1:1", message: 'dt.yaml: expected a mapping, got "just text"' }]);
  });

  test("a key without a value points at the key", () => {
    expect(problemsOf("docker: {sibling}\n")).toEqual([
      { where: "dt.yaml:1:10", message: "docker.sibling: expected true or false, got nothing" },
    ]);
    expect(problemsOf("name:\n")).toEqual([{ where: "dt.yaml:1:6", message: "name: expected a lowercase name like cmamp, got nothing" }]);
  });

  test("keys with line breaks stay on one line in the message", () => {
    const [p] = problemsOf('registries: {"a\\nb": 5}\n');
    expect(p!.message).toBe('registries."a\\nb": expected a registry prefix like ghcr.io/acme or 127.0.0.1:5000/team, got 5');
    // U+2028 is not a line break for split("\n") or a terminal; JSON.stringify leaves it as is
    expect(problemsOf('"im\\u2028age": x\n')[0]!.message).toContain("unknown key '\"im\u2028age\"'");
  });

  test("invalid YAML", () => {
    const problems = problemsOf("name: cmamp\nplatforms: [linux/amd64\nimage: x\n");
    expect(problems[0]!.where).toMatch(/^dt\.yaml:[23]:\d+$/);
    expect(problems[0]!.message).toMatch(/^invalid YAML: /);
    const [tab] = problemsOf("docker:\n\tsibling: true\n");
    expect(tab!.where).toBe("dt.yaml:2:1");
    expect(tab!.message).toMatch(/^invalid YAML: .*tab/i);
    const [multi] = problemsOf("name: a\n---\nname: b\n");
    expect(multi!.where).toBe("dt.yaml:2:1");
    expect(problemsOf("name: 'unterminated\n")[0]!.message).toMatch(/^invalid YAML: /);
    // A YAML error hides the schema errors: they are reported once the syntax is fixed.
    expect(problemsOf("imag: x\nname: [\n").every((p) => p.message.startsWith("invalid YAML"))).toBe(true);
  });

  test("duplicate keys, at top level and nested", () => {
    expect(problemsOf("name: a\nimage: b\nname: c\n")).toEqual([{ where: "dt.yaml:3:1", message: "invalid YAML: Map keys must be unique" }]);
    expect(problemsOf("docker:\n  dind: true\n  dind: false\n")).toEqual([{ where: "dt.yaml:3:3", message: "invalid YAML: Map keys must be unique" }]);
  });

  test("several problems are reported at once, in file order", () => {
    const text = ["imag: x", "platforms: linux/amd64", "docker:", "  sibling: yes", "  mount: here", "test:", "  suites:", '    fast: {timeout: "x"}', "setenv:", "  pathh: [bin]"].join("\n");
    const problems = problemsOf(text);
    expect(problems.map((p) => p.where)).toEqual(["dt.yaml:1:1", "dt.yaml:2:12", "dt.yaml:4:12", "dt.yaml:5:10", "dt.yaml:8:21", "dt.yaml:10:3"]);
    expect(problems[0]!.message).toContain("Did you mean 'image'");
    expect(problems[5]!.message).toContain("Did you mean 'path'");
  });

  test("the file name given is the one in where", () => {
    expect(problemsOf("imag: x\n", "services/api/dt.yaml")[0]!.where).toBe("services/api/dt.yaml:1:1");
  });

  test("aliases stand for what they name", () => {
    expect(parseConfigText("name: &n cmamp\nimage: *n\n", "dt.yaml").values).toEqual({ name: "cmamp", image: "cmamp" });
    expect(problemsOf("name: &n 3\nimage: *n\n").map((p) => p.message)).toContain("name: expected a lowercase name like cmamp, got 3");
  });

  test("a section with nothing under it is unset, not an error", () => {
    expect(parseConfigText("docker:\n  # mount: /app\ntest:\n", "dt.yaml").values).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------

describe("loadConfig", () => {
  let base: string;
  const dirs: Record<string, string> = {};
  const write = (root: string, rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const repo = (name: string, files: Record<string, string>) => {
    const root = join(base, name);
    mkdirSync(root, { recursive: true });
    for (const [rel, text] of Object.entries(files)) write(root, rel, text);
    dirs[name] = root;
    return root;
  };

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "dt-unit-config-"));
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  test("defaults: name from the root dir name, image = name at the root, dir name in a nested dir", () => {
    const root = repo("My_Repo", {});
    const atRoot = loadConfig(root, ".", {});
    expect(atRoot.config).toEqual({ name: "my_repo", image: "my_repo", ...defaults() });
    expect(atRoot.sources.name).toBe("default (root dir name)");
    expect(atRoot.sources.image).toBe("default (name)");
    expect(atRoot.sources.registry).toBe("default");
    expect(atRoot.sources["test.suites.fast.timeout"]).toBe("default");
    expect(atRoot.files).toEqual([]);
    expect(atRoot.notices).toEqual([]);

    const nested = loadConfig(root, "services/Data API", {});
    expect(nested.config.name).toBe("my_repo");
    expect(nested.config.image).toBe("data-api");
    expect(nested.sources.image).toBe("default (dir name)");
  });

  test("the root's image names the root only; name is repo-wide", () => {
    const root = repo("imgleak", { "dt.yaml": "name: cmamp\nimage: cmamp-root\n" });
    expect(loadConfig(root, ".", {}).config.image).toBe("cmamp-root");
    const nested = loadConfig(root, "tools/lint", {});
    expect(nested.config.name).toBe("cmamp");
    expect(nested.config.image).toBe("lint");
    expect(nested.sources.image).toBe("default (dir name)");
    expect(nested.sources.name).toBe("dt.yaml:1");
    // with only a name at the root, the root's image follows the name
    const named = repo("named", { "dt.yaml": "# comment\nname: cmamp\n" });
    const r = loadConfig(named, ".", {});
    expect([r.config.image, r.sources.name, r.sources.image]).toEqual(["cmamp", "dt.yaml:2", "default (name)"]);
  });

  test("root + runnable dir dt.yaml: mappings merged key by key, lists replaced", () => {
    const root = repo("merge", {
      "dt.yaml": [
        "name: cmamp",
        "registry: ghcr.io/acme",
        "platforms: [linux/amd64, linux/arm64]",
        "docker:",
        "  sibling: true",
        "  env: [AWS_PROFILE, GH_TOKEN]",
        "test:",
        "  suites:",
        "    fast: {timeout: 10}",
        "tasks:",
        "  lint: ruff check .",
        "",
      ].join("\n"),
      "services/api/dt.yaml": [
        "platforms: [linux/amd64]",
        "docker:",
        "  dind: true",
        "  env: [API_KEY]",
        "test:",
        "  suites:",
        "    fast: {marker: quick}",
        "    gpu: {marker: gpu, timeout: 60}",
        "tasks:",
        "  serve: uvicorn app:app",
        "image: api-server",
        "",
      ].join("\n"),
    });
    const r = loadConfig(root, "services/api", {});
    expect(r.files).toEqual(["dt.yaml", "services/api/dt.yaml"]);
    expect(r.config.platforms).toEqual(["linux/amd64"]);
    expect(r.config.image).toBe("api-server");
    expect(r.config.docker).toEqual({ mount: "same-path", sibling: true, dind: true, env: ["API_KEY"], volumes: [], build_args: {}, trusted_subrepos: [], memory: null });
    expect(r.config.test.suites).toEqual({
      fast: { marker: "quick", timeout: 10 },
      slow: DEFAULT_SUITES.slow!,
      superslow: DEFAULT_SUITES.superslow!,
      gpu: { marker: "gpu", timeout: 60 },
    });
    expect(r.config.tasks).toEqual({ lint: "ruff check .", serve: "uvicorn app:app" });
    expect(r.sources).toMatchObject({
      name: "dt.yaml:1",
      registry: "dt.yaml:2",
      platforms: "services/api/dt.yaml:1",
      "docker.mount": "default",
      "docker.sibling": "dt.yaml:5",
      "docker.dind": "services/api/dt.yaml:3",
      "docker.env": "services/api/dt.yaml:4",
      "test.suites.fast.marker": "services/api/dt.yaml:7",
      "test.suites.fast.timeout": "dt.yaml:9",
      "test.suites.slow.marker": "default",
      "test.suites.gpu.timeout": "services/api/dt.yaml:8",
      "tasks.lint": "dt.yaml:11",
      "tasks.serve": "services/api/dt.yaml:10",
      image: "services/api/dt.yaml:11",
    });
    // the root itself does not see the nested file
    const atRoot = loadConfig(root, ".", {});
    expect(atRoot.config.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(atRoot.config.docker.dind).toBe(false);
    expect(atRoot.files).toEqual(["dt.yaml"]);
    // every row of `dt config` has a source
    for (const row of configRows(r)) expect(row.source).toMatch(/^(default|env |dt\.yaml:|services\/api\/dt\.yaml:)/);
    expect(configRows(r).find((row) => row.key === "docker.env")).toEqual({ key: "docker.env", value: ["API_KEY"], source: "services/api/dt.yaml:4" });
  });

  test("sources: dt.yaml:LINE, default, env DT_REGISTRY (the environment wins)", () => {
    const root = repo("sources", { "dt.yaml": "\n\nregistry: ghcr.io/acme\n" });
    const fromFile = loadConfig(root, ".", {});
    expect([fromFile.config.registry, fromFile.sources.registry]).toEqual(["ghcr.io/acme", "dt.yaml:3"]);
    const fromEnv = loadConfig(root, ".", { DT_REGISTRY: "localhost:5000/me" });
    expect([fromEnv.config.registry, fromEnv.sources.registry]).toEqual(["localhost:5000/me", "env DT_REGISTRY"]);
    const empty = loadConfig(root, ".", { DT_REGISTRY: "" });
    expect(empty.config.registry).toBe("ghcr.io/acme");
    const none = loadConfig(repo("nosources", {}), ".", {});
    expect([none.config.registry, none.sources.registry]).toEqual([null, "default"]);
  });

  test("repo_config.yaml is read as name, image and registries, each with its file:line", () => {
    const root = repo("legacy", {
      "repo_config.yaml": [
        "repo_info:",
        "  repo_name: cmamp",
        "  github_repo_account: acme",
        "docker_info:",
        "  docker_image_name: cmamp-img",
        "container_registry_info:",
        "  ecr: 123456789.dkr.ecr.eu-north-1.amazonaws.com",
        "  ghcr: ghcr.io/acme",
        "  bogus: 3",
        "",
      ].join("\n"),
    });
    const r = loadConfig(root, ".", {});
    expect(r.config.name).toBe("cmamp");
    expect(r.config.image).toBe("cmamp-img");
    expect(r.config.registries).toEqual({ ecr: "123456789.dkr.ecr.eu-north-1.amazonaws.com", ghcr: "ghcr.io/acme" });
    expect(r.files).toEqual(["repo_config.yaml"]);
    expect(r.notices).toEqual([]);
    expect(r.sources.name).toBe("repo_config.yaml:2");
    expect(r.sources.image).toBe("repo_config.yaml:5");
    expect(r.sources["registries.ghcr"]).toBe("repo_config.yaml:8");
    // a nested dir: name from the older file, image still the dir name
    const nested = loadConfig(root, "svc", {});
    expect([nested.config.name, nested.config.image]).toEqual(["cmamp", "svc"]);
  });

  test("repo_config.py is read as text: module-level string assignments only, never run", () => {
    const root = repo("olderpy", {
      "repo_config.py": [
        "import os",
        '_REPO_NAME = "orders"',
        "_GITHUB_REPO_ACCOUNT = 'acme'",
        '_DOCKER_IMAGE_NAME: str = "orders-img"  # the image',
        '_CONTAINER_REGISTRY_ECR = "123.dkr.ecr.eu-north-1.amazonaws.com/acme"',
        "def get_name():",
        '    _REPO_NAME = "not-this-one"',
        '_FROM_ENV = os.environ["X"]',
        "",
      ].join("\n"),
    });
    const r = loadConfig(root, ".", {});
    expect([r.config.name, r.config.image]).toEqual(["orders", "orders-img"]);
    expect(r.config.registries).toEqual({ ecr: "123.dkr.ecr.eu-north-1.amazonaws.com/acme" });
    expect(r.sources.name).toBe("repo_config.py:2");
    expect(r.sources.image).toBe("repo_config.py:4");
    expect(r.sources["registries.ecr"]).toBe("repo_config.py:5");
    expect(r.files).toEqual(["repo_config.py"]);
  });

  test("a sub-repo's older config names its own dirs; its image names only its root dir", () => {
    const root = repo("withsub", {
      "dt.yaml": "registry: reg.example/acme\n",
      "helpers_root/.git": "gitdir: ../.git/modules/helpers_root\n",
      "helpers_root/repo_config.yaml": "repo_info:\n  repo_name: helpers\ndocker_info:\n  docker_image_name: helpers-img\ncontainer_registry_info:\n  ecr: ecr.example/h\n",
    });
    const subRoot = loadConfig(root, "helpers_root", {});
    expect([subRoot.config.name, subRoot.config.image]).toEqual(["helpers", "helpers-img"]);
    expect(subRoot.sources.image).toBe("helpers_root/repo_config.yaml:4");
    expect(subRoot.config.registries).toEqual({ ecr: "ecr.example/h" });
    expect(subRoot.config.registry).toBe("reg.example/acme");
    expect(subRoot.files).toEqual(["helpers_root/repo_config.yaml", "dt.yaml"]);
    const inSub = loadConfig(root, "helpers_root/tools/lint", {});
    expect([inSub.config.name, inSub.config.image]).toEqual(["helpers", "lint"]);
    // The super-repo's own dirs know nothing of the sub-repo's file.
    const outer = loadConfig(root, "apps/x", {});
    expect([outer.config.name, outer.config.image, outer.config.registries]).toEqual(["withsub", "x", {}]);
  });

  test("a sub-repo's dt.yaml cannot widen its containers (sibling, dind, volumes, env) unless the root trusts it", () => {
    const root = repo("trust", {
      "dt.yaml": "docker:\n  volumes: ['/data:/data:ro']\n",
      "vendor/.git": "gitdir: ../.git/modules/vendor\n",
      "vendor/tool/dt.yaml": "docker:\n  sibling: true\n  dind: true\n  volumes: ['/:/host']\n  env: ['*']\n  mount: /app\n",
      "apps/x/dt.yaml": "docker:\n  sibling: true\n",
    });
    const untrusted = loadConfig(root, "vendor/tool", {});
    expect(untrusted.config.docker).toMatchObject({ sibling: false, dind: false, volumes: ["/data:/data:ro"], env: [], mount: "/app" });
    expect(untrusted.ignored.map((i) => [i.key, i.source])).toEqual([
      ["docker.sibling", "vendor/tool/dt.yaml:2"],
      ["docker.dind", "vendor/tool/dt.yaml:3"],
      ["docker.volumes", "vendor/tool/dt.yaml:4"],
      ["docker.env", "vendor/tool/dt.yaml:5"],
    ]);
    expect(untrusted.ignored[0]!.reason).toContain("docker.trusted_subrepos");
    expect(untrusted.notices[0]).toStartWith("ignored docker.sibling of vendor/tool/dt.yaml:2: ");
    // The super-repo's own dirs are trusted: they are the repo's own code.
    expect(loadConfig(root, "apps/x", {}).config.docker.sibling).toBe(true);
    writeFileSync(join(root, "dt.yaml"), "docker:\n  trusted_subrepos: [vendor]\n");
    const trusted = loadConfig(root, "vendor/tool", {});
    expect(trusted.ignored).toEqual([]);
    expect(trusted.config.docker).toMatchObject({ sibling: true, dind: true, volumes: ["/:/host"], env: ["*"] });
    expect(trusted.sources["docker.dind"]).toBe("vendor/tool/dt.yaml:3");
  });

  test("the workspace name: dt.yaml, else the older config, else the origin URL, else the dir name", () => {
    const root = repo("orders2", {
      ".git/config": '[core]\n\tbare = false\n[remote "origin"]\n\turl = https://github.com/acme/orders.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n',
    });
    const r = loadConfig(root, ".", {});
    expect(r.config.name).toBe("orders");
    expect(r.sources.name).toBe("default (the origin URL)");
    writeFileSync(join(root, "repo_config.py"), '_REPO_NAME = "orders_py"\n');
    expect(loadConfig(root, ".", {}).config.name).toBe("orders_py");
    writeFileSync(join(root, "dt.yaml"), "name: fromdt\n");
    expect(loadConfig(root, ".", {}).config.name).toBe("fromdt");
    const scp = repo("clone-b", { ".git/config": '[remote "origin"]\n\turl = git@github.com:acme/billing.git\n' });
    expect(loadConfig(scp, ".", {}).config.name).toBe("billing");
  });

  test("parseRepoConfigYaml and parseRepoConfigPy: partial and odd files", () => {
    expect(parseRepoConfigYaml("", "repo_config.yaml")).toEqual({ values: {}, sources: {} });
    expect(parseRepoConfigYaml("just a string\n", "repo_config.yaml").values).toEqual({});
    expect(parseRepoConfigYaml("repo_info: {repo_name: 3}\n", "repo_config.yaml").values).toEqual({});
    const e = dtErrorOf(() => parseRepoConfigYaml("repo_info: [\n", "repo_config.yaml"));
    expect(e.exitCode).toBe(2);
    expect(e.where).toMatch(/^repo_config\.yaml:\d+$/);
    expect(parseRepoConfigPy('_REPO_NAME = f"x{y}"\n_REPO_NAME = "a" + "b"\n', "repo_config.py").values).toEqual({});
  });

  test("a dt.yaml wins over the older config, value by value", () => {
    const root = repo("both", {
      "dt.yaml": "name: fromdt\n",
      "repo_config.yaml": "repo_info:\n  repo_name: fromlegacy\ndocker_info:\n  docker_image_name: legacyimg\n",
    });
    const r = loadConfig(root, ".", {});
    expect([r.config.name, r.config.image]).toEqual(["fromdt", "legacyimg"]);
    expect([r.sources.name, r.sources.image]).toEqual(["dt.yaml:1", "repo_config.yaml:4"]);
    expect(r.files).toEqual(["repo_config.yaml", "dt.yaml"]);
  });

  test("an invalid dt.yaml, at the root or in the runnable dir, is a usage error naming its path", () => {
    const root = repo("invalid", { "dt.yaml": "name: ok\n", "svc/dt.yaml": "\ndocker:\n  sibling: yes\n" });
    const e = dtErrorOf(() => loadConfig(root, "svc", {}));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('svc/dt.yaml:3:12: docker.sibling: expected true or false, got "yes"');
    const bad = repo("invalidroot", { "dt.yaml": "imag: x\n" });
    expect(dtErrorOf(() => loadConfig(bad, ".", {})).message).toStartWith("dt.yaml:1:1: unknown key 'imag'");
  });

  test("loading does not mutate the shared defaults", () => {
    const root = repo("nomutate", { "dt.yaml": "test: {suites: {fast: {timeout: 99}}}\n" });
    expect(loadConfig(root, ".", {}).config.test.suites.fast!.timeout).toBe(99);
    expect(DEFAULT_SUITES.fast!.timeout).toBe(5);
    expect(defaults().test.suites.fast!.timeout).toBe(5);
    expect(loadConfig(repo("nomutate2", {}), ".", {}).config.test.suites.fast!.timeout).toBe(5);
  });
});

describe("helpers", () => {
  test("sanitizeName", () => {
    expect(sanitizeName("My Repo!!")).toBe("my-repo");
    expect(sanitizeName("__x__")).toBe("x");
    expect(sanitizeName("a..b--c")).toBe("a-b-c");
    expect(sanitizeName("...")).toBe("app");
    expect(sanitizeName("Ünïcode")).toBe("n-code");
    expect(sanitizeName("cmamp")).toBe("cmamp");
  });

  test("mergeValues: mappings key by key, lists and scalars replaced, inputs untouched", () => {
    const a = { x: { y: 1, z: [1, 2] }, l: [1], s: "a" };
    const b = { x: { z: [3] }, l: [], s: "b", n: null };
    expect(mergeValues(a, b)).toEqual({ x: { y: 1, z: [3] }, l: [], s: "b", n: null });
    expect(a).toEqual({ x: { y: 1, z: [1, 2] }, l: [1], s: "a" });
  });
});

describe("toJsonSchema", () => {
  const schema = toJsonSchema(DT_YAML_SCHEMA);

  test("top level: an object without additional properties, with a property per key", () => {
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    const props = schema.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(props).sort()).toEqual(Object.keys(DT_YAML_SCHEMA.fields).sort());
    expect(Object.keys(props)).toEqual(
      expect.arrayContaining(["name", "image", "registry", "registries", "platforms", "builders", "base_image", "version_policy", "docker", "test", "setenv", "sync", "tasks"]),
    );
  });

  test("nested objects are closed too; maps, enums, patterns and either are expressed", () => {
    const props = schema.properties as Record<string, any>;
    expect(props.docker.additionalProperties).toBe(false);
    expect(Object.keys(props.docker.properties)).toEqual(["mount", "sibling", "dind", "env", "volumes", "build_args", "trusted_subrepos", "memory"]);
    expect(props.docker.properties.sibling).toMatchObject({ type: "boolean" });
    expect(props.docker.properties.build_args).toMatchObject({ type: "object", propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } });
    expect(props.version_policy).toMatchObject({ type: "string", enum: ["exact", "minor", "major"] });
    expect(props.platforms).toMatchObject({ type: "array", items: { type: "string" } });
    expect(new RegExp(props.platforms.items.pattern).test("linux/amd64")).toBe(true);
    expect(new RegExp(props.builders.propertyNames.pattern).test("linux/arm64")).toBe(true);
    expect(props.registries).toMatchObject({ type: "object", additionalProperties: { type: "string" } });
    expect(props.test.properties.suites.additionalProperties).toMatchObject({
      type: "object",
      additionalProperties: false,
      properties: { marker: { type: "string" }, timeout: { type: "number", minimum: 0 } },
    });
    expect(props.tasks.additionalProperties.oneOf).toEqual([{ type: "string" }, { type: "array", items: { type: "string" } }]);
    expect(Object.keys(props.test.properties)).toEqual(["suites", "depends_on", "cache", "cache_size"]);
    expect(props.test.properties.cache).toMatchObject({ type: "string", enum: ["local", "registry", "off"] });
    expect(new RegExp(props.test.properties.cache_size.pattern).test("100MB")).toBe(true);
    expect(new RegExp(props.test.properties.cache_size.pattern).test("lots")).toBe(false);
  });

  test("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

// ---------------------------------------------------------------------------------------------
// Bounded fuzz: mutated dt.yaml texts either parse to values that fit the schema, or fail with a
// usage error whose every message line is `dt.yaml:LINE:COL: ...` — never anything else.

const YAML_DONORS = [
  "imag: x", "docker:", "  sibling: yes", "  sibling: true", "platforms: linux/amd64", "- item", "  - item", "tasks: {a: [b, 1]}",
  "name: &a cmamp", "image: *a", "<<: {name: x}", "? complex", ": value", "!!binary aGVsbG8=", "--- ", "...", "%YAML 1.2",
  "test: {suites: {fast: {timeout: \"x\"}}}", "name: a\nname: b", "\"quoted\\nkey\": 1", "'single': 'x'", "key: |", "  block",
  "builders: {amd64: x}", "registries: {ecr: 5}", "version_policy: minr", "docker: {mount: app}", "\t", "name:", "{", "[", "}", "]",
];
const YAML_SYNTAX = ":-[]{},#&*!|>'\"%@` ?\n\t.0123456789";

describe("parseConfigText: bounded fuzz", () => {
  test("never throws anything but a usage error with dt.yaml:N:N lines", () => {
    const seed = fuzzSeed(0xd7a31);
    const r = rng(seed);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      // Mostly a slice of the example (the YAML parser is the cost), sometimes all of it.
      const specLines = SPEC_YAML.split("\n");
      const start = r.int(specLines.length - 3);
      const base = r.chance(0.1) ? SPEC_YAML : specLines.slice(start, start + 3 + r.int(10)).join("\n");
      const text = mutate(r, base, YAML_SYNTAX, YAML_DONORS, 5);
      const label = `seed ${seed}, case ${i}: ${JSON.stringify(text)}`;
      let layer: ConfigLayer;
      try {
        layer = parseConfigText(text, "dt.yaml");
      } catch (e) {
        if (!(e instanceof DtErrors)) throw new Error(`${label}\nthrew ${String(e)}`, { cause: e });
        if (e.exitCode !== 2 || e.problems.length === 0) throw new Error(`${label}\nbad error ${e.exitCode}`);
        const lines = e.message.split("\n");
        if (lines.length !== e.problems.length) throw new Error(`${label}\nmessage has ${lines.length} lines for ${e.problems.length} problems:\n${e.message}`);
        for (const line of lines) {
          const m = /^dt\.yaml:(\d+):(\d+): \S/.exec(line);
          if (!m) throw new Error(`${label}\nbad problem line: ${JSON.stringify(line)}`);
          if (Number(m[1]) < 1 || Number(m[1]) > lineCount(text) + 1 || Number(m[2]) < 1) throw new Error(`${label}\nout of range: ${line}`);
        }
        for (const p of e.problems) if (p.exitCode !== 2) throw new Error(`${label}\nproblem with exit ${p.exitCode}`);
        rejected++;
        continue;
      }
      parsed++;
      if (!fits(layer.values, DT_YAML_SCHEMA)) throw new Error(`${label}\nparsed to values outside the schema: ${JSON.stringify(layer.values)}`);
      for (const [k, v] of Object.entries(layer.sources)) {
        const m = /^dt\.yaml:(\d+)$/.exec(v);
        if (!m || Number(m[1]) > lineCount(text) + 1) throw new Error(`${label}\nbad source ${k}: ${v}`);
      }
    }
    expect(parsed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1000);
  });
});

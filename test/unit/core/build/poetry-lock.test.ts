// poetry's content hash computed in TypeScript. The expected hashes were computed by Debian
// bookworm's poetry 1.3.2 itself (Locker(...)._content_hash on these very files, in
// dt-test/poetrybase), so a drift from poetry's algorithm fails here.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { assertLockFresh, contentHashes, lockIsFresh, parseToml, pythonJson, readPythonProject } from "../../../../src/core/build/poetry-lock.ts";
import { dtErrorOf } from "../../../support/errors.ts";
import { cleanupAll, testdir } from "../../../support/fixtures.ts";

afterAll(cleanupAll);

const SIMPLE = [
  "[tool.poetry]",
  'name = "app"',
  'version = "0.1.0"',
  'description = ""',
  'authors = ["dt <dt@example.com>"]',
  "",
  "[tool.poetry.dependencies]",
  'python = "^3.11"',
  'dtdemo-beta = "^1.0"',
  "",
  "[[tool.poetry.source]]",
  'name = "testindex"',
  'url = "http://127.0.0.1:8000/simple/"',
  "default = true",
  "",
].join("\n");

// Groups, extras, dev-dependencies, inline tables, a list of constraints, dotted keys, quoted
// keys, non-ASCII (one outside the BMP) and a control character: everything json.dumps escapes.
const RICH = "[tool.poetry]\nname = \"app-b\"\nversion = \"0.1.0\"\ndescription = \"\u00dcn\u00efcode app \u2603\"\nauthors = [\"Zo\u00eb <z@example.com>\"]\n\n[tool.poetry.dependencies]\npython = \">=3.9,<3.13\"\n\"Foo.Bar\" = { version = \"^1.2\", optional = true, extras = [\"x\", \"y\"] }\nnumpy = [\n  { version = \"<1.25\", python = \"<3.9\" },\n  { version = \"^1.26\", python = \">=3.9\" },\n]\n\"\u00dcber\" = \"~=2.0\"\nemoji = \"\ud83d\ude00\"\nbools = { version = \"*\", allow-prereleases = false }\nnested.version = \"1.0\"\n\n[tool.poetry.extras]\nfast = [\"Foo.Bar\"]\n\n[tool.poetry.group.dev]\noptional = true\n\n[tool.poetry.group.dev.dependencies]\npytest = \"^7.0\"\n\"ctl\\u0001char\" = \"1\"\n\n[tool.poetry.dev-dependencies]\nblack = \"*\"\n";

const lockWith = (hash: string) => `[[package]]\nname = "x"\nversion = "1.0"\n\n[metadata]\nlock-version = "2.0"\ncontent-hash = "${hash}"\n`;

describe("poetry's content hash", () => {
  test("is what poetry 1.3.2 writes, for a plain project and for one with every kind of value", () => {
    expect(contentHashes(parseToml(SIMPLE, "pyproject.toml"))).toEqual(["02765fbe6e61a37373264f80464512c718f8abd8fc82c7deea4bb4ae8b99bc3b"]);
    expect(contentHashes(parseToml(RICH, "pyproject.toml"))).toEqual(["48872fbeabac37d165bdd627ddb9bd5c4ecd08c54dfeb239bcde5f4e7614c78b"]);
  });

  test("Python's json.dumps form: separators, sorted keys, escapes", () => {
    expect(pythonJson({ b: [1, true, null], a: "é😀\u0001\"", c: {} })).toBe('{"a": "\\u00e9\\ud83d\\ude00\\u0001\\"", "b": [1, true, null], "c": {}}');
    expect(pythonJson(1e-7)).toBe("1e-07");
  });

  test("a [project] with dependencies adds poetry 2's form: both sections, legacy keys only when set", () => {
    const pyproject = parseToml('[project]\nname = "p"\ndependencies = ["requests>=2"]\nrequires-python = ">=3.11"\n[tool.poetry.group.dev.dependencies]\npytest = "*"\n', "pyproject.toml");
    const expected = createHash("sha256")
      .update('{"project": {"dependencies": ["requests>=2"], "requires-python": ">=3.11"}, "tool": {"poetry": {"group": {"dev": {"dependencies": {"pytest": "*"}}}}}}')
      .digest("hex");
    const hashes = contentHashes(pyproject);
    expect(hashes).toHaveLength(2);
    expect(hashes[1]).toBe(expected);
  });
});

describe("a dir's lock against its pyproject", () => {
  test("fresh, stale, or nothing to compare; a stale one is exit 2 naming the lock and dt deps lock", () => {
    const dir = testdir({ "app/pyproject.toml": SIMPLE, "app/poetry.lock": lockWith("02765fbe6e61a37373264f80464512c718f8abd8fc82c7deea4bb4ae8b99bc3b") });
    const abs = `${dir.path}/app`;
    expect(lockIsFresh(readPythonProject(abs, "app"))).toBe(true);
    assertLockFresh(abs, "app");

    const other = testdir({ "pyproject.toml": SIMPLE.replace("^1.0", "^1.1"), "poetry.lock": lockWith("02765fbe6e61a37373264f80464512c718f8abd8fc82c7deea4bb4ae8b99bc3b") });
    const e = dtErrorOf(() => assertLockFresh(other.path, "."));
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe("poetry.lock");
    expect(e.hint).toContain("dt deps lock");

    // A lock without a hash is stale for poetry too; without a lock or a pyproject, nothing to say.
    expect(lockIsFresh(readPythonProject(testdir({ "pyproject.toml": SIMPLE, "poetry.lock": "[metadata]\n" }).path, "."))).toBe(false);
    expect(lockIsFresh(readPythonProject(testdir({ "pyproject.toml": SIMPLE }).path, "."))).toBeUndefined();
    expect(lockIsFresh(readPythonProject(testdir({ "poetry.lock": "x" }).path, "."))).toBeUndefined();
  });

  test("a pyproject that is not TOML is exit 2 at its file", () => {
    const dir = testdir({ "pyproject.toml": "[tool.poetry\n", "poetry.lock": lockWith("x") });
    const e = dtErrorOf(() => assertLockFresh(dir.path, "."));
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe("pyproject.toml");
  });
});

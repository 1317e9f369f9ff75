import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkLayers, folderOf, memoryTree, parseLayerTable, readSourceTree, type LayerRow } from "../support/import-graph.ts";
import { parseImports } from "../support/import-scan.ts";

const ROOT = join(import.meta.dir, "../..");
const DOC = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");

describe("parseImports", () => {
  test("finds every import form, and nothing in comments, strings, templates or regexes", () => {
    const sample = [
      'import { a, type B } from "./a.ts";',
      'import type { C } from "./c.ts";',
      'import * as d from "./d.ts";',
      "import e, {",
      "  f,",
      '} from "./e.ts";',
      'import "./side.ts";',
      'export { g } from "./g.ts";',
      'export type { H } from "./h.ts";',
      'export * as i from "./i.ts";',
      "export const j = 1;",
      "export { a };",
      'const k = await import("./k.ts");',
      'type L = import("./l.ts").L;',
      'const m = require("./m.ts");',
      'import pkg from "yaml";',
      '// import { no } from "./line-comment.ts";',
      '/* import "./block-comment.ts";',
      '   export * from "./block-comment-2.ts"; */',
      "const s = 'import x from \"./in-a-string.ts\"';",
      'const t = `import("./in-a-template.ts") ${await import("./in-a-substitution.ts")}`;',
      "const r = /[\"'`]/g; const n = import(\"./after-a-regex.ts\");",
      'const q = x.import("./a-property.ts");',
      'import type from "./default-named-type.ts";',
      "const url = import.meta.url;",
      'import { from } from "./named-from.ts";',
      'import x from "./asset.txt" with { type: "text" };',
    ].join("\n");
    expect(parseImports(sample)).toEqual([
      { kind: "import", line: 1, specifier: "./a.ts", typeOnly: false },
      { kind: "import", line: 2, specifier: "./c.ts", typeOnly: true },
      { kind: "import", line: 3, specifier: "./d.ts", typeOnly: false },
      { kind: "import", line: 4, specifier: "./e.ts", typeOnly: false },
      { kind: "side-effect", line: 7, specifier: "./side.ts", typeOnly: false },
      { kind: "export", line: 8, specifier: "./g.ts", typeOnly: false },
      { kind: "export", line: 9, specifier: "./h.ts", typeOnly: true },
      { kind: "export", line: 10, specifier: "./i.ts", typeOnly: false },
      { kind: "dynamic", line: 13, specifier: "./k.ts", typeOnly: false },
      { kind: "dynamic", line: 14, specifier: "./l.ts", typeOnly: false },
      { kind: "require", line: 15, specifier: "./m.ts", typeOnly: false },
      { kind: "import", line: 16, specifier: "yaml", typeOnly: false },
      { kind: "dynamic", line: 21, specifier: "./in-a-substitution.ts", typeOnly: false },
      { kind: "dynamic", line: 22, specifier: "./after-a-regex.ts", typeOnly: false },
      { kind: "import", line: 24, specifier: "./default-named-type.ts", typeOnly: false },
      { kind: "import", line: 26, specifier: "./named-from.ts", typeOnly: false },
      { kind: "import", line: 27, specifier: "./asset.txt", typeOnly: false },
    ]);
  });

  test("an import() of anything but a string literal is unverifiable; a method named import is not an import", () => {
    const sample = [
      "const a = await import(`./${name}.ts`);",
      "const b = await import(`./plain.ts`);",
      'const c = await import(dir + "/x.ts");',
      "class D { import(x: string) { return x; } }",
      "const e = { import(): void {} };",
    ].join("\n");
    expect(parseImports(sample)).toEqual([
      { kind: "dynamic", line: 1, typeOnly: false, unverifiable: "import(`./${name}.ts`)" },
      { kind: "dynamic", line: 2, typeOnly: false, unverifiable: "import(`./plain.ts`)" },
      { kind: "dynamic", line: 3, typeOnly: false, unverifiable: 'import(dir + "/x.ts")' },
    ]);
  });
});

describe("the layer table", () => {
  test("is read from docs/architecture.md", () => {
    const table = parseLayerTable(DOC);
    expect(table[0]).toEqual({ layer: 0, folders: ["src/core/base", "src/generated"] });
    expect(table.at(-1)).toEqual({ layer: 9, folders: ["src/commands", "src"] });
  });

  test("a malformed table is an error, not an empty rule set", () => {
    const head = "| layer | folders | what lives there |\n|---|---|---|\n";
    expect(() => parseLayerTable("# no table here")).toThrow("no layer table");
    expect(() => parseLayerTable(`${head}| one | \`src/a\` | x |`)).toThrow('layer "one" is not a number');
    expect(() => parseLayerTable(`${head}| 1 | \`src/a\` | x |\n| 0 | \`src/b\` | y |`)).toThrow("layers increase down the table");
    expect(() => parseLayerTable(`${head}| 0 | \`src/a\` | x |\n| 1 | \`src/a\` | y |`)).toThrow("src/a is in two rows");
    expect(() => parseLayerTable(`${head}| 0 | \`lib/a\` | x |`)).toThrow("lib/a is not under src/");
  });

  test("a file belongs to the longest folder holding it; `src` holds only its own files", () => {
    const table: LayerRow[] = [
      { layer: 0, folders: ["src/core/base"] },
      { layer: 1, folders: ["src/core"] },
      { layer: 2, folders: ["src"] },
    ];
    expect(folderOf(table, "src/core/base/x.ts")?.layer).toBe(0);
    expect(folderOf(table, "src/core/basement/x.ts")?.layer).toBe(1);
    expect(folderOf(table, "src/main.ts")?.layer).toBe(2);
    expect(folderOf(table, "src/tools/x.ts")).toBeUndefined();
  });
});

describe("checkLayers", () => {
  const TABLE = `
| layer | folders | what lives there |
|---|---|---|
| 0 | \`src/core/base\` | base |
| 3 | \`src/core/engine\` | engine |
| 6 | \`src/core/release\` | release |
| 8 | \`src/ui\` | ui |
| 9 | \`src/commands\`, \`src\` | top |
`;
  const table = parseLayerTable(TABLE);
  const clean: Record<string, string> = {
    "src/core/base/errors.ts": 'const v = (await import("../../../package.json")).version;\n',
    "src/core/base/fs.ts": 'import { DtError } from "./errors.ts";\n',
    "src/core/engine/engine.ts": 'import semver from "semver";\nimport { DtError } from "../base/errors.ts";\n',
    "src/core/release/release.ts": 'import { connect } from "../engine/engine.ts";\n',
    "src/ui/fd.ts": "export const fd = 1;\n",
    "src/ui/output.ts": 'import type { Report } from "../core/release/release.ts";\n',
    "src/commands/release.ts": 'const run = () => import("../core/release/release.ts");\n',
    "src/main.ts": 'import "./commands/release.ts";\nimport { DtError } from "./core/base/errors.ts";\n',
  };
  const check = (files: Record<string, string>, data: string[] = ["package.json"]) =>
    checkLayers(table, memoryTree({ ...clean, ...files }, data));

  test("a tree that keeps the rules passes", () => {
    expect(check({})).toEqual([]);
  });

  test("an upward import is reported with its line and layers", () => {
    expect(check({ "src/core/base/fs.ts": 'import { DtError } from "./errors.ts";\nimport { release } from "../release/release.ts";\n' })).toEqual([
      "src/core/base/fs.ts:2 imports src/core/release/release.ts: layer 0 -> 6 goes up the table",
    ]);
  });

  test("src/core importing src/ui or src/commands is reported, even where the table would allow it", () => {
    const engine = 'import { DtError } from "../base/errors.ts";\nimport { fd } from "../../ui/fd.ts";\n';
    expect(check({ "src/core/engine/engine.ts": engine })).toEqual([
      "src/core/engine/engine.ts:2 imports src/ui/fd.ts: layer 3 -> 8 goes up the table; src/core never imports src/ui",
    ]);
    const uiFirst = parseLayerTable(`| layer | folders | what lives there |
|---|---|---|
| 0 | \`src/ui\` | ui |
| 1 | \`src/core/base\`, \`src/core/engine\` | core |`);
    const tree = memoryTree({ "src/ui/fd.ts": "", "src/core/base/errors.ts": "", "src/core/engine/engine.ts": engine });
    expect(checkLayers(uiFirst, tree)).toEqual(["src/core/engine/engine.ts:2 imports src/ui/fd.ts: src/core never imports src/ui"]);
  });

  test("a cycle through type-only imports within one layer is reported with its files and lines", () => {
    expect(check({
      "src/core/engine/engine.ts": 'import type { Upload } from "./upload.ts";\n',
      "src/core/engine/upload.ts": '\nimport type { Engine } from "./engine.ts";\n',
    })).toEqual(["import cycle: src/core/engine/engine.ts:1 -> src/core/engine/upload.ts:2 -> src/core/engine/engine.ts"]);
  });

  test("a tangle larger than its shortest cycle names all its files; a file importing itself is a cycle", () => {
    expect(check({
      "src/core/engine/a.ts": 'import "./b.ts";\n',
      "src/core/engine/b.ts": 'import "./a.ts";\nimport "./c.ts";\n',
      "src/core/engine/c.ts": 'export * from "./b.ts";\n',
      "src/core/engine/self.ts": 'const me = () => import("./self.ts");\n',
    })).toEqual([
      "import cycle: src/core/engine/a.ts:1 -> src/core/engine/b.ts:1 -> src/core/engine/a.ts (all 3 files of the tangle: src/core/engine/a.ts, src/core/engine/b.ts, src/core/engine/c.ts)",
      "import cycle: src/core/engine/self.ts:1 -> src/core/engine/self.ts",
    ]);
  });

  test("files outside the table, empty table folders, and imports that cannot be checked are reported", () => {
    const withGone = parseLayerTable(TABLE.replace("`src/core/engine` |", "`src/core/engine`, `src/core/gone` |"));
    const files = {
      "src/core/base/fs.ts": [
        "const name = 'x';",
        "const m = await import(`./${name}.ts`);",
        'import { nope } from "./missing.ts";',
        'import { helper } from "../../../scripts/helper.ts";',
        'import text from "../../../assets/a.txt" with { type: "text" };',
      ].join("\n"),
      "src/tools/x.ts": "",
    };
    expect(checkLayers(withGone, memoryTree({ ...clean, ...files }, ["package.json", "scripts/helper.ts", "assets/a.txt"]))).toEqual([
      "layer table: src/core/gone (layer 3) holds no .ts file",
      "src/tools/x.ts: in no row of the layer table",
      "src/core/base/fs.ts:2 import(`./${name}.ts`): a dynamic import of a computed specifier cannot be checked; import a literal path",
      'src/core/base/fs.ts:3 imports "./missing.ts": no such file',
      "src/core/base/fs.ts:4 imports scripts/helper.ts: outside src/, so in no layer",
    ]);
  });
});

describe("src/", () => {
  const table = parseLayerTable(DOC);
  const tree = readSourceTree(ROOT);

  test("the check catches an upward import and the cycle it closes, added to the real tree", () => {
    const errors = "src/core/base/errors.ts";
    const text = `${tree.files.get(errors)}\nimport "../release/release.ts";\n`;
    const line = text.split("\n").length - 1;
    const files = new Map(tree.files).set(errors, text);
    const problems = checkLayers(table, { files, exists: tree.exists });
    expect(problems).toContain(`${errors}:${line} imports src/core/release/release.ts: layer 0 -> 6 goes up the table`);
    // release.ts imports errors.ts, so the new edge closes a cycle through both.
    const cycles = problems.filter((p) => p.startsWith("import cycle:") && p.includes(errors) && p.includes("src/core/release/release.ts"));
    expect(cycles).toHaveLength(1);
  });

  // Fails until the known breaches (core importing release and ui, the build context cycle,
  // ...) are fixed; the message lists what is left.
  test("keeps the layering of docs/architecture.md", () => {
    expect(checkLayers(table, tree).join("\n")).toBe("");
  });
});

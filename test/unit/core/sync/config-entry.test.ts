// The sync.files entry as dt.yaml's schema reads it: a path, or a mapping of from, to and mode.
import { describe, expect, test } from "bun:test";
import { DtErrors } from "../../../../src/core/base/errors.ts";
import { parseConfigText } from "../../../../src/core/config/config.ts";
import { DT_YAML_SCHEMA, toJsonSchema } from "../../../../src/core/config/schema.ts";

const yaml = (entry: string) => `sync:\n  from: helpers_root\n  files:\n    - pytest.ini\n    - ${entry}\n`;
const problems = (text: string) => {
  try {
    parseConfigText(text, "dt.yaml");
  } catch (e) {
    return (e as DtErrors).problems.map((p) => `${p.where} ${p.message}`);
  }
  throw new Error("parsed without a problem");
};

describe("sync.files entries in dt.yaml", () => {
  test("a path and a mapping are both read as written", () => {
    const { values } = parseConfigText(yaml('{from: devops/dev.Dockerfile, to: ["*/devops/dev.Dockerfile", x], mode: link}'), "dt.yaml");
    expect(values.sync).toEqual({
      from: "helpers_root",
      files: ["pytest.ini", { from: "devops/dev.Dockerfile", to: ["*/devops/dev.Dockerfile", "x"], mode: "link" }],
    });
    expect((parseConfigText(yaml("{from: a, to: b}"), "dt.yaml").values.sync as { files: unknown[] }).files[1]).toEqual({ from: "a", to: "b" });
  });

  test("a mapping's own fault is reported at its place, not as 'expected a path or a mapping'", () => {
    expect(problems(yaml("{from: a, too: [b], mode: link}"))).toEqual(["dt.yaml:5:17 unknown key 'sync.files[1].too'. Did you mean 'to'?"]);
    expect(problems(yaml("{from: a, mode: lnk}"))).toEqual([`dt.yaml:5:23 sync.files[1].mode: expected one of copy, link, got "lnk". Did you mean 'link'?`]);
    expect(problems(yaml("{from: a, to: {x: 1}}"))).toEqual(["dt.yaml:5:21 sync.files[1].to: expected a path or a list of paths, got a mapping"]);
    // Neither a path nor a mapping: the entry's own message.
    expect(problems(yaml("[a, b]"))).toEqual(["dt.yaml:5:7 sync.files[1]: expected a file path, or a mapping with from, to and mode, got a list"]);
  });

  test("the JSON schema offers both shapes and closes the mapping", () => {
    const sync = toJsonSchema(DT_YAML_SCHEMA) as any;
    const entry = sync.properties.sync.properties.files.items;
    expect(entry.oneOf).toHaveLength(2);
    expect(entry.oneOf[1]).toMatchObject({ type: "object", additionalProperties: false });
    expect(entry.oneOf[1].properties.mode).toMatchObject({ type: "string", enum: ["copy", "link"] });
  });
});

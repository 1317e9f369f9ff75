// dt's labels as one LABEL step. That the engine reads them back as written (quotes, $, \,
// spaces and non-ASCII in a workspace path): test/e2e/docker.test.ts ("labels in one step").
import { describe, expect, test } from "bun:test";
import { labelDockerfile } from "../../../../src/core/build/label-dockerfile.ts";

describe("labelDockerfile", () => {
  test("FROM the image, then one LABEL of every label, sorted by key, each key and value double-quoted", () => {
    expect(labelDockerfile("sha256:abc", { "org.b": "2", "dev.a": "1" })).toBe('FROM sha256:abc\nLABEL "dev.a"="1" \\\n      "org.b"="2"\n');
  });

  test("\\, \" and $ are escaped: nothing is expanded, nothing ends the word early", () => {
    const text = labelDockerfile("img", { "dev.dt.workspace": '/w/it\'s "q"/$HOME/a\\b/wörk space' })!;
    expect(text).toBe('FROM img\nLABEL "dev.dt.workspace"="/w/it\'s \\"q\\"/\\$HOME/a\\\\b/wörk space"\n');
  });

  test("a key or value with a control character (a newline in a path) cannot be a Dockerfile word", () => {
    expect(labelDockerfile("img", { a: "line\nbreak" })).toBeUndefined();
    expect(labelDockerfile("img", { "a\tb": "x" })).toBeUndefined();
    expect(labelDockerfile("img", { a: "tab\there" })).toBeUndefined();
  });

  test("no labels: FROM alone", () => {
    expect(labelDockerfile("img", {})).toBe("FROM img\n");
  });
});

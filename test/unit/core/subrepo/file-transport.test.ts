import { describe, expect, test } from "bun:test";
import { isLocalUrl } from "../../../../src/core/subrepo/file-transport.ts";

describe("isLocalUrl: when dt passes -c protocol.file.allow=always", () => {
  test.each([
    ["file:///srv/git/helpers", true],
    ["FILE:///srv/git/helpers", true],
    ["/srv/git/helpers", true],
    ["srv/helpers", true],
    ["https://github.com/acme/helpers.git", false],
    ["ssh://git@github.com/acme/helpers.git", false],
    ["git@github.com:acme/helpers.git", false],
    ["github.com:acme/helpers.git", false],
  ])("%s -> %p", (url, local) => {
    expect(isLocalUrl(url)).toBe(local);
  });

  test("./ and ../ follow the repo's origin; without one the repo is its own upstream", () => {
    expect(isLocalUrl("../helpers.git", "git@github.com:acme/cmamp.git")).toBe(false);
    expect(isLocalUrl("../helpers.git", "https://github.com/acme/cmamp.git")).toBe(false);
    expect(isLocalUrl("../helpers", "/srv/git/cmamp")).toBe(true);
    expect(isLocalUrl("./helpers", null)).toBe(true);
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { cutToWidth, shortenMiddle, visibleWidth } from "../../../src/ui/text-width.ts";
import { settings, table } from "../../../src/ui/output.ts";

describe("cutToWidth", () => {
  test("counts columns without escape codes, keeps the codes, ends a cut in … and a reset", () => {
    const line = `\x1b[36m⠋\x1b[0m release dev \x1b[2m3s\x1b[0m linux/amd64: Step 3/15 : RUN sh /opt/dt/project/devops/docker_build/install.sh`;
    expect(visibleWidth(line)).toBe(95);
    const cut = cutToWidth(line, 40);
    expect(visibleWidth(cut)).toBe(40);
    expect(cut.replace(/\x1b\[[0-9;]*m/g, "")).toBe("⠋ release dev 3s linux/amd64: Step 3/15…");
    expect(cut.startsWith("\x1b[36m⠋\x1b[0m")).toBe(true);
    expect(cut.endsWith("…\x1b[0m")).toBe(true);
  });

  test("a line that fits is left alone; wide characters take two columns", () => {
    expect(cutToWidth("✓ built", 80)).toBe("✓ built");
    expect(cutToWidth("日本語のテキスト", 7)).toBe("日本語…");
    expect(visibleWidth(cutToWidth("日本語のテキスト", 7))).toBe(7);
  });
});

describe("shortenMiddle", () => {
  test("keeps both ends of an image name: registry and repository, tag and version", () => {
    const image = "127.0.0.1:5000/uidemo/pricer:local-root-cc965a61-0.2.0";
    const short = shortenMiddle(image, 30);
    expect(short).toBe("127.0.0.1:5000/…cc965a61-0.2.0");
    expect(visibleWidth(short)).toBe(30);
    expect(shortenMiddle(image, 80)).toBe(image);
  });
});

describe("table", () => {
  const wide = settings.wide;
  afterEach(() => {
    settings.wide = wide;
  });
  const rows = [
    ["apps/pricer", "127.0.0.1:5000/uidemo/pricer:local-root-cc965a61-0.2.0", "local", "12", "0", "0", "3.1s", "passed"],
    ["apps/reporter", "127.0.0.1:5000/uidemo/reporter:local-root-cc965a61-0.1.0", "local", "3", "1", "0", "2.0s", "failed"],
  ];
  const header = ["DIR", "IMAGE", "STAGE", "PASSED", "FAILED", "SKIPPED", "TIME", "RESULT"];

  test("fits 80 columns by taking the middle out of the image names, the other cells whole", () => {
    settings.wide = false;
    const lines = table(header, rows, { shrink: [1] }).split("\n");
    expect(Math.max(...lines.map(visibleWidth))).toBeLessThanOrEqual(80);
    expect(lines[1]).toBe("apps/pricer    127.0.0.1…a61-0.2.0  local  12      0       0        3.1s  passed");
    expect(lines[2]).toContain("reporter");
  });

  test("--wide keeps every cell whole", () => {
    settings.wide = true;
    const text = table(header, rows, { shrink: [1] });
    expect(text).toContain("127.0.0.1:5000/uidemo/reporter:local-root-cc965a61-0.1.0");
    expect(Math.max(...text.split("\n").map(visibleWidth))).toBeGreaterThan(80);
  });
});

describe("table rows kept whole", () => {
  test("a reason in an image column is read to the end; the images beside it still fit", () => {
    settings.wide = false;
    const reason = "building dtl-d4en5x-beta:local-dttest-abcdef12-0.1.0 failed at Step 4/15 : RUN sh install_shared.sh: returned a non-zero code: 1";
    const rows = [
      ["apps/alpha", "built", "1.0s", "127.0.0.1:5000/some-team/alpha-service:local-dttest-abcdef12-0.1.0"],
      ["apps/beta", "failed", "1.0s", reason],
    ];
    const lines = table(["DIR", "RESULT", "TIME", "IMAGE OR REASON"], rows, { shrink: [3], whole: (i) => rows[i]![1] === "failed" }).split("\n");
    expect(lines[2]).toEndWith(reason);
    expect(lines[1]).toContain("…");
    expect(visibleWidth(lines[1]!)).toBeLessThanOrEqual(80);
  });
});

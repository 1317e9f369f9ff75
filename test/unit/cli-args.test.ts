import { describe, expect, test } from "bun:test";
import { operandStart, parseCommandArgs, type ArgsDef, type ArgsOf } from "../../src/cli-args.ts";
import { DtError } from "../../src/core/base/errors.ts";

/** Flags shaped like the real commands' (kebab-case names, aliases, enums, defaults). */
const TEST_ARGS = {
  all: { type: "boolean", description: "every runnable dir" },
  dir: { type: "string", description: "runnable dir", valueHint: "PATH" },
  suite: { type: "enum", options: ["fast", "slow", "superslow", "all"], default: "fast" },
  marker: { type: "string", alias: "m" },
  jobs: { type: "string", alias: ["j", "J"], valueHint: "N" },
  stage: { type: "enum", options: ["local", "dev", "prod"] },
  "fail-fast": { type: "boolean" },
  "no-cache": { type: "boolean" },
  color: { type: "boolean", default: true },
  json: { type: "boolean" },
  junit: { type: "string" },
} satisfies ArgsDef;

const BUMP_ARGS = {
  part: { type: "positional", required: true, description: "major, minor or patch" },
  message: { type: "string", alias: "m", valueHint: "MSG", repeatable: true },
  date: { type: "string" },
  "build-arg": { type: "string", repeatable: true },
} satisfies ArgsDef;

const parseTest = (...tokens: string[]) => parseCommandArgs(TEST_ARGS, tokens, { command: "dt test" });
const parseBump = (...tokens: string[]) => parseCommandArgs(BUMP_ARGS, tokens, { command: "dt version bump" });

type Same<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** Compiles only when A and B are the same type. */
const sameType = <A, B>(_: Same<A, B>) => {};

function usageErrorOf(fn: () => unknown): DtError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DtError) {
      expect(e.exitCode).toBe(2);
      return e;
    }
    throw new Error(`expected a DtError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a DtError, nothing was thrown");
}

describe("parseCommandArgs", () => {
  test("no tokens: the defaults only", () => {
    expect(parseTest()).toEqual({ args: { suite: "fast", color: true }, extra: [], rest: [] });
  });

  test("booleans", () => {
    expect(parseTest("--all", "--json", "--fail-fast").args).toMatchObject({ all: true, json: true, "fail-fast": true });
    expect(parseTest("--json=true").args.json).toBe(true);
    expect(parseTest("--json=false").args.json).toBe(false);
    expect(parseTest("--json", "--json=false").args.json).toBe(false);
    // a boolean does not take the next token as its value
    expect(usageErrorOf(() => parseTest("--all", "fast")).message).toContain("unexpected argument 'fast'");
  });

  test("a boolean given a value other than true/false", () => {
    const e = usageErrorOf(() => parseTest("--json=yes"));
    expect(e.message).toBe("--json takes no value (got 'yes')");
    expect(e.hint).toContain("--no-json");
  });

  test("--no-x turns a boolean off; a flag whose own name starts with no- is itself", () => {
    expect(parseTest("--no-color").args.color).toBe(false);
    expect(parseTest("--color", "--no-color").args.color).toBe(false);
    expect(parseTest("--no-color", "--color").args.color).toBe(true);
    expect(parseTest("--no-json").args.json).toBe(false);
    expect(parseTest("--no-cache").args["no-cache"]).toBe(true);
    // --no- of a value flag is not a thing
    expect(usageErrorOf(() => parseTest("--no-stage")).message).toContain("unknown option '--no-stage'");
  });

  test("--x=v and --x v for strings and enums", () => {
    expect(parseTest("--dir=a/b", "--stage", "dev", "--junit=").args).toMatchObject({ dir: "a/b", stage: "dev", junit: "" });
    expect(parseTest("--dir", "x=y").args.dir).toBe("x=y");
    expect(parseTest("--dir=x=y").args.dir).toBe("x=y");
    expect(parseTest("--marker", "not slow and not superslow").args.marker).toBe("not slow and not superslow");
    // the last one wins for a flag that is not repeatable
    expect(parseTest("--dir", "a", "--dir", "b").args.dir).toBe("b");
  });

  test("short aliases: -j4, -j 4, -j=4, -m EXPR, every alias of a list", () => {
    expect(parseTest("-j4").args.jobs).toBe("4");
    expect(parseTest("-j", "4").args.jobs).toBe("4");
    expect(parseTest("-j=4").args.jobs).toBe("4");
    expect(parseTest("-J16").args.jobs).toBe("16");
    expect(parseTest("-m", "slow").args.marker).toBe("slow");
    expect(parseTest("-mslow").args.marker).toBe("slow");
  });

  test("kebab-case flags also match camelCase names", () => {
    const defs = { failFast: { type: "boolean" }, baseImage: { type: "string" } } satisfies ArgsDef;
    expect(parseCommandArgs(defs, ["--fail-fast", "--base-image", "py"], { command: "dt x" }).args).toEqual({ failFast: true, baseImage: "py" });
  });

  test("a string value that is missing", () => {
    for (const tokens of [["--dir"], ["--dir", "--all"], ["--dir", "--"], ["-j"], ["--stage", "-m", "x"]]) {
      const e = usageErrorOf(() => parseTest(...tokens));
      expect(e.message).toMatch(/^--(dir|jobs|stage) needs a value/);
      expect(e.hint).toContain("dt test --help");
    }
    expect(usageErrorOf(() => parseTest("--jobs")).message).toBe("--jobs needs a value (N)");
  });

  test("negative numbers and '-' are values, not flags", () => {
    expect(parseTest("--jobs", "-1").args.jobs).toBe("-1");
    expect(usageErrorOf(() => parseTest("-")).message).toBe("unexpected argument '-' for 'dt test'");
    expect(parseCommandArgs(TEST_ARGS, ["-", "-5"], { command: "dt test", variadic: true }).extra).toEqual(["-", "-5"]);
  });

  test("an unknown flag, with a did-you-mean", () => {
    const e = usageErrorOf(() => parseTest("--suit", "fast"));
    expect(e.message).toBe("unknown option '--suit' for 'dt test'. Did you mean '--suite'?");
    expect(e.hint).toBe("see 'dt test --help'");
    expect(usageErrorOf(() => parseTest("--failfast")).message).toContain("Did you mean '--fail-fast'?");
    expect(usageErrorOf(() => parseTest("--jsno=1")).message).toContain("unknown option '--jsno'");
    expect(usageErrorOf(() => parseTest("--jsno=1")).message).toContain("Did you mean '--json'?");
    expect(usageErrorOf(() => parseTest("--kubernetes")).message).toBe("unknown option '--kubernetes' for 'dt test'.");
    // short flags: the one-letter flag is named
    expect(usageErrorOf(() => parseTest("-x")).message).toContain("unknown option '-x'");
    // aliases are not suggested as long flags
    expect(usageErrorOf(() => parseTest("--j")).message).not.toContain("'--j'?");
  });

  test("enum validation, with a did-you-mean", () => {
    const e = usageErrorOf(() => parseTest("--suite", "slwo"));
    expect(e.message).toBe("--suite must be one of fast, slow, superslow, all, got 'slwo'. Did you mean 'slow'?");
    expect(usageErrorOf(() => parseTest("--stage=staging")).message).toBe("--stage must be one of local, dev, prod, got 'staging'.");
    expect(parseTest("--suite", "all").args.suite).toBe("all");
  });

  test("repeatable flags collect all values, in order, by name and alias", () => {
    const { args } = parseBump("minor", "-m", "Add pyarrow", "--message", "Pin numpy", "-mThird", "--message=Fourth", "--build-arg", "A=1", "--build-arg=B=2");
    expect(args.message).toEqual(["Add pyarrow", "Pin numpy", "Third", "Fourth"]);
    expect(args["build-arg"]).toEqual(["A=1", "B=2"]);
    expect(parseBump("patch").args.message).toEqual([]);
    // each call starts from a fresh list
    expect(parseBump("patch").args.message).toEqual([]);
  });

  test("positionals: required, given, extra", () => {
    expect(parseBump("major", "-m", "x").args.part).toBe("major");
    expect(parseBump("-m", "x", "major").args.part).toBe("major");
    const missing = usageErrorOf(() => parseBump("-m", "x"));
    expect(missing.message).toBe("missing argument PART for 'dt version bump'");
    const extra = usageErrorOf(() => parseBump("major", "minor"));
    expect(extra.message).toBe("unexpected argument 'minor' for 'dt version bump'");
    const variadic = parseCommandArgs(BUMP_ARGS, ["major", "a", "b"], { command: "dt x", variadic: true });
    expect([variadic.args.part, variadic.extra]).toEqual(["major", ["a", "b"]]);
    const optional = { shell: { type: "positional", default: "bash" } } satisfies ArgsDef;
    expect(parseCommandArgs(optional, [], { command: "dt x" }).args.shell).toBe("bash");
    expect(parseCommandArgs(optional, ["zsh"], { command: "dt x" }).args.shell).toBe("zsh");
  });

  test("a required option", () => {
    const defs = { version: { type: "string", required: true } } satisfies ArgsDef;
    expect(usageErrorOf(() => parseCommandArgs(defs, [], { command: "dt docker rollback" })).message).toBe(
      "missing option --version for 'dt docker rollback'",
    );
    expect(parseCommandArgs(defs, ["--version", "1.0.0"], { command: "dt docker rollback" }).args.version).toBe("1.0.0");
  });

  test("everything after -- is kept verbatim in rest", () => {
    const r = parseTest("--all", "--", "-x", "--json", "-k", "not slow", "--", "", "a b");
    expect(r.rest).toEqual(["-x", "--json", "-k", "not slow", "--", "", "a b"]);
    expect(r.args.json).toBeUndefined();
    expect(r.args.all).toBe(true);
    expect(parseTest("--").rest).toEqual([]);
    expect(parseTest("--", "--suite", "bogus").args.suite).toBe("fast");
    const cmd = parseCommandArgs({}, ["--", "bash", "-lc", "echo $HOME"], { command: "dt docker cmd" });
    expect(cmd).toEqual({ args: {}, extra: [], rest: ["bash", "-lc", "echo $HOME"] });
  });

  test("ArgsOf types the result as the parser builds it", () => {
    const defs = {
      all: { type: "boolean" },
      color: { type: "boolean", default: true },
      dir: { type: "string", repeatable: true },
      suites: { type: "enum", options: ["fast", "slow"], repeatable: true },
      stage: { type: "enum", options: ["local", "dev", "prod"] },
      suite: { type: "enum", options: ["fast", "slow"], default: "fast" },
      version: { type: "string", required: true },
      part: { type: "positional", required: true },
      task: { type: "positional" },
    } as const satisfies ArgsDef;
    // Checked by tsc: a repeatable flag is a list, an enum the union of its options, and only
    // what may be missing is optional.
    sameType<
      ArgsOf<typeof defs>,
      {
        all?: boolean;
        color: boolean;
        dir: string[];
        suites: ("fast" | "slow")[];
        stage?: "local" | "dev" | "prod";
        suite: "fast" | "slow";
        version: string;
        part: string;
        task?: string;
      }
    >(true);
    const { args } = parseCommandArgs(defs, ["major", "--version", "1.0.0", "--dir", "a", "--dir=b", "--stage", "dev"], { command: "dt x" });
    expect(args).toEqual({ color: true, dir: ["a", "b"], suites: [], suite: "fast", version: "1.0.0", part: "major", stage: "dev" });
    expect(usageErrorOf(() => parseCommandArgs(defs, ["x", "--version=1", "--suites", "fats"], { command: "dt x" })).message).toContain("Did you mean 'fast'?");
  });

  test("does not mutate its inputs", () => {
    const tokens = ["minor", "-m", "x", "--", "y"];
    const copy = [...tokens];
    const defsCopy = structuredClone(BUMP_ARGS);
    parseBump(...tokens);
    expect(tokens).toEqual(copy);
    expect(BUMP_ARGS).toEqual(defsCopy);
  });
});

describe("operandStart: where a pass-through command's own command begins", () => {
  const RUN = { dir: { type: "string" }, stage: { type: "enum", options: ["local", "dev", "prod"] }, root: { type: "boolean" } } satisfies ArgsDef;
  const isGlobal = (t: string) => ["--verbose", "--quiet", "-q", "--help", "-h"].includes(t);
  const at = (...argv: string[]) => operandStart(argv, 2, RUN, isGlobal);

  test("the first word past the names and dt's options (and their values), whatever follows it", () => {
    expect(at("docker", "cmd", "python3", "--version")).toBe(2);
    expect(at("docker", "cmd", "--stage", "prod", "--root", "python3", "-c", "print(1)")).toBe(5);
    expect(at("--verbose", "docker", "--quiet", "cmd", "--dir=apps/a", "ls", "--help")).toBe(5);
  });

  test("none when a `--` comes first or no word is left", () => {
    expect(at("docker", "cmd", "--stage", "dev", "--", "python3", "--version")).toBe(-1);
    expect(at("docker", "cmd", "--stage", "dev")).toBe(-1);
  });
});

// Inputs that got a wrong or no error: a file name that is not UTF-8 in a build context ("cannot
// read ... ENOENT; fix its permissions"), an unreadable file (an internal error in devops/,
// "changed while packed" elsewhere), a runnable dir whose name is not UTF-8 (invisible),
// `--shard 1/100000000000` (internal error), `--platform ,,` (accepted), `registry: http://...`
// ("unexpected -" from the engine), a registry's error text with terminal escape codes (printed
// raw), TERM=dumb (escape codes), and stdout full or closed (internal error, or exit 0).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cleanupAll, gitEnv, makeRepo, testdir } from "../support/fixtures.ts";
import { dt, dtArgv } from "../support/dt.ts";
import { removeImages } from "../support/docker.ts";
import { testbed } from "../support/testbed.ts";
import { asOtherUser, giveToOtherUser, killOtherUserRuns } from "./as-user.ts";
import { changelog, suffix } from "./helpers.ts";

const sfx = suffix();
const images: string[] = [];
const live = new Set<ReturnType<typeof Bun.spawn>>();

afterAll(async () => {
  killOtherUserRuns();
  for (const proc of live) proc.kill("SIGKILL");
  await removeImages(images);
  cleanupAll();
});

/** A runnable root with its own (near empty) dockerignore.dev, so the dev context holds every file. */
function workspace(name: string, files: Record<string, string> = {}): string {
  const image = `dthonest-${sfx}-${name}`;
  images.push(image);
  return makeRepo(join(testdir().path, name), {
    "dt.yaml": `name: ${image}\nbase_image: ${testbed().images.busybox}\n`,
    "changelog.txt": changelog(name),
    "devops/docker_build/dockerignore.dev": "# everything goes in\n",
    ...files,
  });
}

/** `caf\xe9.txt`: a Latin-1 name. */
const latin1 = (dir: string, name: string) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, "latin1")]);

describe("file names that are not UTF-8", () => {
  test(
    "in a build context: exit 2 naming it with its bytes, before the engine gets anything; left out by the ignore file, the build works",
    async () => {
      const root = workspace("latin1");
      writeFileSync(latin1(root, "caf\u00e9.txt"), "x\n");
      const r = await dt(["docker", "build"], { cwd: root, timeoutMs: 60_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: caf\\xe9.txt in the build context ${root}: its name is not valid UTF-8, and dt sends only UTF-8 names`);
      expect(r.stderr).toContain("fix: rename it to UTF-8 (e.g. convmv -f latin1 -t utf-8), or leave it out with devops/docker_build/dockerignore.dev");
      expect(r.stderr).not.toContain("sending the build context");
      writeFileSync(join(root, "devops/docker_build/dockerignore.dev"), "caf*.txt\n");
      const ok = await dt(["docker", "build"], { cwd: root, timeoutMs: 60_000 });
      expect(ok.stderr).toContain("✓ built");
      expect(ok.code).toBe(0);
    },
    120_000,
  );

  test(
    "a runnable dir: exit 2 naming it, where it used to vanish from every listing",
    async () => {
      const root = workspace("dirname");
      const dir = latin1(root, "sv\u00e9");
      mkdirSync(Buffer.concat([dir, Buffer.from("/devops")]), { recursive: true });
      writeFileSync(Buffer.concat([dir, Buffer.from("/changelog.txt")]), changelog("sv"));
      const r = await dt(["ls"], { cwd: root, timeoutMs: 10_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("error: the runnable dir sv\\xe9 has a name that is not valid UTF-8");
      expect(r.stderr).toContain("fix: rename it to UTF-8");
    },
    15_000,
  );
});

describe("files dt may not read (as a uid that is not root: root reads everything)", () => {
  let root = "";

  beforeAll(() => {
    root = workspace("unreadable", { "app.py": "print('app')\n", "secret.txt": "s\n", "devops/setup.sh": "echo\n" });
    chmodSync(dirname(root), 0o755);
    giveToOtherUser(root);
  });

  test(
    "a file of the context, and one in devops/: exit 2 naming each as unreadable",
    async () => {
      chmodSync(join(root, "secret.txt"), 0o000);
      const r = await asOtherUser(["docker", "build"], root, 20_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: secret.txt in the build context ${root} is unreadable (permission denied): dt cannot send it`);
      expect(r.stderr).toContain("fix: make it readable (chmod a+r secret.txt), or leave it out with devops/docker_build/dockerignore.dev");
      chmodSync(join(root, "secret.txt"), 0o644);
      chmodSync(join(root, "devops/setup.sh"), 0o000);
      const d = await asOtherUser(["docker", "build"], root, 20_000);
      expect(d.code).toBe(2);
      expect(d.stderr).toContain("error: devops/setup.sh in the build context");
      expect(d.stderr).toContain("is unreadable (permission denied)");
      expect(d.stderr).not.toContain("internal error");
    },
    30_000,
  );
});

describe("flag values", () => {
  let root = "";
  beforeAll(() => {
    root = workspace("flags", { "tests/test_a.py": "def test_a():\n    pass\n" });
  });

  test(
    "--shard with a huge N: no shard plan of that size; past the safe integers, exit 2",
    async () => {
      // 1 file, 100,000,000,000 shards: shard 2 is empty.
      const r = await dt(["test", "--shard", "2/100000000000"], { cwd: root, timeoutMs: 10_000 });
      expect(r.stderr).not.toContain("internal error");
      expect(r.code).toBe(0);
      expect(r.stderr + r.stdout).toContain("nothing to test");
      const huge = await dt(["test", "--shard", "1/100000000000000000000"], { cwd: root, timeoutMs: 10_000 });
      expect(huge.code).toBe(2);
      expect(huge.stderr).toContain("invalid shard '1/100000000000000000000': N is too large");
    },
    15_000,
  );

  test(
    "--platform with an empty entry (`,,`, a trailing comma) or a non-platform: exit 2",
    async () => {
      for (const [value, said] of [
        [",,", '--platform ",,": an empty entry is not a platform'],
        ["linux/amd64,", '--platform "linux/amd64,": an empty entry is not a platform'],
        ["amd64", '--platform "amd64": "amd64" is not a platform'],
      ] as const) {
        const r = await dt(["docker", "build", "--platform", value], { cwd: root, timeoutMs: 10_000 });
        expect({ value, code: r.code }).toEqual({ value, code: 2 });
        expect(r.stderr).toContain(said);
      }
    },
    15_000,
  );
});

describe("registry prefixes", () => {
  test(
    "`registry: http://...` in dt.yaml is exit 2 at its line; so is a DT_REGISTRY with a scheme",
    async () => {
      const root = workspace("scheme");
      writeFileSync(join(root, "dt.yaml"), "registry: http://127.0.0.1:5000/team\n");
      const r = await dt(["docker", "push"], { cwd: root, timeoutMs: 10_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error: dt.yaml:1:11: registry: expected a registry prefix like ghcr.io/acme or 127.0.0.1:5000/team, got "http://127.0.0.1:5000/team"');
      expect(r.stderr).toContain("without a scheme");
      writeFileSync(join(root, "dt.yaml"), "registries:\n  ecr: https://1234.dkr.ecr.eu-north-1.amazonaws.com/acme\n");
      const named = await dt(["config"], { cwd: root, timeoutMs: 10_000 });
      expect(named.code).toBe(2);
      expect(named.stderr).toContain("dt.yaml:2:8: registries.ecr: expected a registry prefix");
      writeFileSync(join(root, "dt.yaml"), "registry: 127.0.0.1:5000/team\n");
      const env = await dt(["config"], { cwd: root, env: { DT_REGISTRY: "https://ghcr.io/acme" }, timeoutMs: 10_000 });
      expect(env.code).toBe(2);
      expect(env.stderr).toContain('DT_REGISTRY="https://ghcr.io/acme" is not a registry prefix');
    },
    15_000,
  );

  test(
    "a registry's error text with terminal escape codes is printed with them written out",
    async () => {
      const hostile = "\u001b[2J\u001b]0;owned\u0007\u001b[31mEVIL\u202e\u001b[0m";
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        // HEAD carries no body: the hostile text comes with the GETs.
        fetch: (req) => (req.method === "HEAD" ? new Response(null, { status: 404 }) : Response.json({ errors: [{ code: "UNKNOWN", message: hostile }] }, { status: 500 })),
      });
      try {
        const root = workspace("escapes");
        writeFileSync(join(root, "dt.yaml"), `registry: 127.0.0.1:${server.port}/acme\n`);
        const r = await dt(["docker", "rollback", "dev", "--version", "0.1.0"], { cwd: root, timeoutMs: 10_000 });
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(`registry 127.0.0.1:${server.port} answered 500`);
        expect(r.stderr).toContain("UNKNOWN: \\x1b[2J\\x1b]0;owned\\x07\\x1b[31mEVIL\\u202e\\x1b[0m");
        expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
      } finally {
        server.stop(true);
      }
    },
    15_000,
  );
});

describe("the terminal and stdout", () => {
  /** dt under a pseudo-terminal (util-linux `script`), with TERM as given; what the terminal got. */
  async function onATerminal(args: string[], cwd: string, term: string): Promise<string> {
    const command = [...dtArgv(), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const env: Record<string, string | undefined> = { ...gitEnv(), TERM: term, NO_COLOR: undefined, CI: undefined, FORCE_COLOR: undefined };
    const proc = Bun.spawn(["script", "-qec", command, "/dev/null"], { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    live.add(proc);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    clearTimeout(timer);
    live.delete(proc);
    return out;
  }

  test(
    "TERM=dumb: no escape codes, progress or colour; a real terminal still gets them",
    async () => {
      const root = workspace("dumb");
      const dumb = await onATerminal(["docker", "build", "--no-cache"], root, "dumb");
      expect(dumb).toContain("built");
      expect(dumb).not.toContain("\u001b");
      const xterm = await onATerminal(["docker", "build", "--no-cache"], root, "xterm");
      expect(xterm).toContain("built");
      expect(xterm).toContain("\u001b[");
    },
    // Two builds without the cache: 18 s under the suite's load on this 2-core machine.
    120_000,
  );

  /** dt with its stdout on `fd`, or closed; what it said on stderr. */
  async function withStdout(args: string[], cwd: string, stdout: number | "closed") {
    const argv = stdout === "closed" ? ["sh", "-c", 'exec "$@" >&-', "sh", ...dtArgv(), ...args] : [...dtArgv(), ...args];
    const proc = Bun.spawn(argv, { cwd, env: { ...gitEnv(), NO_COLOR: "1" }, stdin: "ignore", stdout: stdout === "closed" ? "ignore" : stdout, stderr: "pipe" });
    live.add(proc);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const stderr = await new Response(proc.stderr).text();
    const code = await proc.exited;
    clearTimeout(timer);
    live.delete(proc);
    return { code, stderr };
  }

  test(
    "stdout on a full device or closed: exit 1, 'cannot write the output'; /dev/null is fine",
    async () => {
      const root = workspace("stdout");
      const full = openSync("/dev/full", "w");
      const devNull = openSync("/dev/null", "w");
      try {
        for (const args of [["ls"], ["ls", "--json"], ["config"]]) {
          const r = await withStdout(args, root, full);
          expect({ args, code: r.code }).toEqual({ args, code: 1 });
          expect(r.stderr).toContain("error: cannot write the output (ENOSPC: no space left on device)");
          expect(r.stderr).not.toContain("internal error");
        }
        const closed = await withStdout(["ls"], root, "closed");
        expect(closed.code).toBe(1);
        expect(closed.stderr).toContain("error: cannot write the output: stdout is closed");
        const ok = await withStdout(["ls"], root, devNull);
        expect(ok.code).toBe(0);
        expect(ok.stderr).not.toContain("cannot write the output");
      } finally {
        closeSync(full);
        closeSync(devNull);
      }
    },
    15_000,
  );
});

// install.sh, for real: a compiled dt served from a temp "release dir" over file:// and over
// HTTP (Bun.serve on 127.0.0.1), installed into temp dirs by sh, dash and bash.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const INSTALL_SH = join(ROOT, "install.sh");
const RELEASES = "https://github.com/dt-dev/dt/releases";
const HOST = `${process.platform === "darwin" ? "darwin" : "linux"}-${process.arch === "arm64" ? "arm64" : "x64"}`;
const ASSET = `dt-${HOST}`;
const SH = Bun.which("sh") ?? "/bin/sh";

let work: string;
let release: string; // dt-HOST + SHA256SUMS, as a release page serves them
let counter = 0;

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

async function run(argv: string[], env: Record<string, string> = {}, cwd = work) {
  const proc = Bun.spawn(argv, { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Reuses dist/ when its SHA256SUMS vouches for its host binary; else builds only the host target. */
async function releaseFiles(): Promise<{ binary: string; sums: string }> {
  const dist = join(ROOT, "dist");
  const binary = join(dist, ASSET);
  const sums = join(dist, "SHA256SUMS");
  if ((await Bun.file(binary).exists()) && (await Bun.file(sums).exists())) {
    const listed = (await readFile(sums, "utf8")).split("\n").find((l) => l.endsWith(`  ${ASSET}`));
    if (listed?.startsWith(sha256(await readFile(binary)))) return { binary, sums };
  }
  const outdir = join(work, "build");
  const built = await run([process.execPath, join(ROOT, "scripts/build.ts"), "--target", HOST, "--outdir", outdir], {
    ...(process.env as Record<string, string>),
  }, ROOT);
  if (built.code !== 0) throw new Error(`scripts/build.ts failed (${built.code}):\n${built.stdout}${built.stderr}`);
  return { binary: join(outdir, ASSET), sums: join(outdir, "SHA256SUMS") };
}

/** A fresh HOME, install dir (not created yet) and TMPDIR for one installer run. */
async function sandbox() {
  const dir = join(work, `case-${++counter}`);
  const home = join(dir, "home");
  const tmp = join(dir, "tmp");
  await mkdir(home, { recursive: true });
  await mkdir(tmp);
  const prefix = join(dir, "prefix", "bin");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: tmp, SHELL: "/bin/bash" };
  return { dir, home, tmp, prefix, env };
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function install(env: Record<string, string>, args: string[] = [], shell = SH) {
  return run([shell, INSTALL_SH, ...args], env);
}

/** A copy of the release dir with `change` applied to it. */
async function releaseCopy(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(work, `release-${++counter}`);
  await cp(release, dir, { recursive: true });
  await change(dir);
  return dir;
}

/** A PATH dir with every command of PATH except `without`, to test the fallbacks. */
async function pathWithout(without: string[]): Promise<string> {
  const dir = join(work, `path-${++counter}`);
  await mkdir(dir);
  for (const source of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of await entries(source)) {
      if (without.includes(name)) continue;
      await symlink(join(source, name), join(dir, name)).catch(() => {}); // first on PATH wins
    }
  }
  return dir;
}

/** Serves a release dir under /download/ and records the paths asked for. */
function serve(dir: string) {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const file = Bun.file(join(dir, basename(path)));
      if (!path.startsWith("/download/") || !(await file.exists())) return new Response("not found", { status: 404 });
      return new Response(file);
    },
  });
  return { server, requests, url: `http://127.0.0.1:${server.port}/download` };
}

async function expectNothingInstalled(box: { prefix: string; tmp: string }) {
  expect(await entries(box.prefix)).toEqual([]);
  expect(await entries(box.tmp)).toEqual([]); // the download dir was removed too
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "dt-install-test-"));
  release = join(work, "release");
  await mkdir(release);
  const { binary, sums } = await releaseFiles();
  await cp(binary, join(release, ASSET));
  await cp(sums, join(release, "SHA256SUMS"));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("install.sh", () => {
  test("is POSIX sh", async () => {
    for (const shell of ["sh", "dash", "bash"].map((s) => Bun.which(s)).filter((s) => s !== null)) {
      const checked = await run([shell, "-n", INSTALL_SH]);
      expect(checked.stderr).toBe("");
      expect(checked.code).toBe(0);
    }
    const shellcheck = Bun.which("shellcheck");
    if (shellcheck) expect((await run([shellcheck, "-s", "sh", INSTALL_SH])).stdout).toBe("");
  });

  test("installs from a file:// release, creating the install dir, and the installed dt runs", async () => {
    const box = await sandbox();
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Installed dt to ${box.prefix}/dt`);
    expect(await entries(box.prefix)).toEqual(["dt"]);
    expect((await stat(join(box.prefix, "dt"))).mode & 0o777).toBe(0o755);
    expect(await entries(box.tmp)).toEqual([]);

    const version = await run([join(box.prefix, "dt"), "--version"], { PATH: box.env.PATH!, HOME: box.home });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).not.toBe("");
    expect(result.stdout).toContain(`dt --version: ${version.stdout.trim()}`);
  });

  test("installs over HTTP from a local server (--prefix, trailing slash in the URL)", async () => {
    const box = await sandbox();
    const { server, requests, url } = serve(release);
    try {
      const result = await install({ ...box.env, DT_DOWNLOAD_URL: `${url}/` }, ["--prefix", box.prefix]);
      expect(result.code).toBe(0);
      expect(requests).toEqual([`/download/${ASSET}`, "/download/SHA256SUMS"]);
      expect(await entries(box.prefix)).toEqual(["dt"]);
      expect((await run([join(box.prefix, "dt"), "--version"], { HOME: box.home })).code).toBe(0);
    } finally {
      server.stop(true);
    }
  });

  test("uses wget when curl is missing", async () => {
    const box = await sandbox();
    const noCurl = await pathWithout(["curl"]);
    const { server, requests, url } = serve(release);
    try {
      const result = await install({ ...box.env, PATH: noCurl, DT_DOWNLOAD_URL: url, DT_INSTALL_DIR: box.prefix });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(requests).toEqual([`/download/${ASSET}`, "/download/SHA256SUMS"]);
    } finally {
      server.stop(true);
    }
  });

  test("copies file:// releases without curl or wget, and verifies with shasum without sha256sum", async () => {
    const box = await sandbox();
    const bare = await pathWithout(["curl", "wget", "sha256sum"]);
    const result = await install({ ...box.env, PATH: bare, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await entries(box.prefix)).toEqual(["dt"]);
  });

  test("refuses to install unverified when there is no sha256sum or shasum", async () => {
    const box = await sandbox();
    const bare = await pathWithout(["sha256sum", "shasum"]);
    const result = await install({ ...box.env, PATH: bare, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("neither sha256sum nor shasum is installed");
    await expectNothingInstalled(box);
  });

  test("defaults to ~/.local/bin and says how to put it on PATH, without editing rc files", async () => {
    const box = await sandbox();
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${release}` });
    expect(result.code).toBe(0);
    expect(await entries(join(box.home, ".local", "bin"))).toEqual(["dt"]);
    expect(result.stdout).toContain(`echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.bashrc`);
    expect(await entries(box.home)).toEqual([".local"]); // no .bashrc, no .profile

    const again = await install({
      ...box.env,
      PATH: `${join(box.home, ".local", "bin")}${delimiter}${box.env.PATH}`,
      DT_DOWNLOAD_URL: `file://${release}`,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("not on your PATH");
  });

  test("the line it prints for the user's shell (bash, zsh, fish) puts dt on PATH in that shell", async () => {
    const cases = [
      { shell: "bash", line: `  echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.bashrc`, check: ["bash", "-c", "source ~/.bashrc; command -v dt"] },
      { shell: "zsh", line: `  echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.zshrc`, check: ["zsh", "-c", "source ~/.zshrc; command -v dt"] },
      { shell: "fish", line: `  fish_add_path "$HOME/.local/bin"`, check: ["fish", "-c", "command -v dt"] },
      { shell: "dash", line: `  echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.profile`, check: ["sh", "-c", ". ~/.profile; command -v dt"] },
    ];
    for (const c of cases) {
      const box = await sandbox();
      const env = { ...box.env, SHELL: `/usr/bin/${c.shell}`, DT_DOWNLOAD_URL: `file://${release}` };
      const result = await install(env);
      expect(result.code).toBe(0);
      const lines = result.stdout.split("\n");
      const at = lines.indexOf(`${join(box.home, ".local", "bin")} is not on your PATH. To add it:`);
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toBe(c.line);
      expect(lines[at + 2]).toBe(c.shell === "fish" ? "(fish keeps it: this shell and every new one have it at once)." : `then open a new shell (or run: export PATH="$HOME/.local/bin:$PATH").`);
      // What the user would do: run the printed line in that shell, then open a new one.
      const ran = await run([c.shell === "dash" ? "sh" : c.shell, "-c", lines[at + 1]!.trim()], { ...env, PATH: box.env.PATH! });
      expect(ran.code).toBe(0);
      const found = await run(c.check, { ...env, PATH: box.env.PATH! });
      expect(found.stdout.trim()).toBe(join(box.home, ".local", "bin", "dt"));
    }
  });

  test("replaces an existing dt in one rename, leaving no temp file", async () => {
    const box = await sandbox();
    await mkdir(box.prefix, { recursive: true });
    await writeFile(join(box.prefix, "dt"), "old dt");
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).toBe(0);
    expect(await entries(box.prefix)).toEqual(["dt"]);
    expect(sha256(await readFile(join(box.prefix, "dt")))).toBe(sha256(await readFile(join(release, ASSET))));
  });

  test("refuses a corrupted binary and installs nothing", async () => {
    const bad = await releaseCopy(async (dir) => {
      const bytes = await readFile(join(dir, ASSET));
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      await writeFile(join(dir, ASSET), bytes);
    });
    const box = await sandbox();
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${bad}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/checksum mismatch for dt-/);
    expect(result.stderr).toContain("nothing was installed");
    await expectNothingInstalled(box);

    // An upgrade that is refused keeps the dt that was there.
    await mkdir(box.prefix, { recursive: true });
    await writeFile(join(box.prefix, "dt"), "old dt");
    expect((await install({ ...box.env, DT_DOWNLOAD_URL: `file://${bad}`, DT_INSTALL_DIR: box.prefix })).code).not.toBe(0);
    expect(await entries(box.prefix)).toEqual(["dt"]);
    expect(await readFile(join(box.prefix, "dt"), "utf8")).toBe("old dt");
  });

  test("refuses a corrupted SHA256SUMS and installs nothing", async () => {
    const bad = await releaseCopy(async (dir) => {
      const sums = await readFile(join(dir, "SHA256SUMS"), "utf8");
      const at = sums.indexOf(`  ${ASSET}`) - 1; // last hex digit of our entry
      const flipped = sums[at] === "0" ? "1" : "0";
      await writeFile(join(dir, "SHA256SUMS"), sums.slice(0, at) + flipped + sums.slice(at + 1));
    });
    const box = await sandbox();
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${bad}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/checksum mismatch for dt-/);
    await expectNothingInstalled(box);
  });

  test("refuses a SHA256SUMS without an entry for this platform", async () => {
    const bad = await releaseCopy(async (dir) => {
      const sums = await readFile(join(dir, "SHA256SUMS"), "utf8");
      await writeFile(join(dir, "SHA256SUMS"), sums.split("\n").filter((l) => !l.endsWith(`  ${ASSET}`)).join("\n"));
    });
    const box = await sandbox();
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${bad}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`checksum refused: SHA256SUMS from file://${bad} has no valid entry for ${ASSET}`);
    await expectNothingInstalled(box);
  });

  test("refuses a verified binary that does not run here, keeping the old dt", async () => {
    const broken = await releaseCopy(async (dir) => {
      const script = "#!/bin/sh\necho 'cannot execute: wrong libc' >&2\nexit 127\n";
      await writeFile(join(dir, ASSET), script);
      await writeFile(join(dir, "SHA256SUMS"), `${sha256(new TextEncoder().encode(script))}  ${ASSET}\n`);
    });
    const box = await sandbox();
    await mkdir(box.prefix, { recursive: true });
    await writeFile(join(box.prefix, "dt"), "old dt");
    const result = await install({ ...box.env, DT_DOWNLOAD_URL: `file://${broken}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("does not run on this machine: cannot execute: wrong libc");
    expect(await entries(box.prefix)).toEqual(["dt"]);
    expect(await readFile(join(box.prefix, "dt"), "utf8")).toBe("old dt");
  });

  test("a failed download (404) leaves nothing behind", async () => {
    const noBinary = await releaseCopy((dir) => rm(join(dir, ASSET)));
    const noSums = await releaseCopy((dir) => rm(join(dir, "SHA256SUMS")));
    for (const [dir, missing] of [[noBinary, ASSET], [noSums, "SHA256SUMS"]] as const) {
      const box = await sandbox();
      const { server, requests, url } = serve(dir);
      try {
        const result = await install({ ...box.env, DT_DOWNLOAD_URL: url, DT_INSTALL_DIR: box.prefix });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`could not download ${url}/${missing}`);
        expect(requests).toContain(`/download/${missing}`);
        await expectNothingInstalled(box);
      } finally {
        server.stop(true);
      }
    }
  });

  test("picks the release URL from --version / DT_VERSION", async () => {
    // A curl that records its URL and fails like a 404, so no network is needed.
    const fake = join(work, "fake-curl");
    await mkdir(fake);
    await writeFile(join(fake, "curl"), `#!/bin/sh\nfor a; do last=$a; done\necho "$last" >> "${fake}/log"\nexit 22\n`);
    await chmod(join(fake, "curl"), 0o755);
    const box = await sandbox();
    const env = { ...box.env, PATH: `${fake}${delimiter}${box.env.PATH}`, DT_INSTALL_DIR: box.prefix };
    for (const [args, extra] of [
      [[], {}],
      [["--version", "v1.2.3"], {}],
      [["--version=1.2.3"], {}],
      [[], { DT_VERSION: "2.0.0" }],
      [["--version", "2.1.0"], { DT_VERSION: "2.0.0" }],
    ] as const) {
      const result = await install({ ...env, ...extra }, [...args]);
      expect(result.code).not.toBe(0);
    }
    expect((await readFile(join(fake, "log"), "utf8")).trim().split("\n")).toEqual([
      `${RELEASES}/latest/download/${ASSET}`,
      `${RELEASES}/download/v1.2.3/${ASSET}`,
      `${RELEASES}/download/v1.2.3/${ASSET}`,
      `${RELEASES}/download/v2.0.0/${ASSET}`,
      `${RELEASES}/download/v2.1.0/${ASSET}`,
    ]);
    await expectNothingInstalled(box);
  });

  test("refuses an unknown OS or architecture", async () => {
    for (const [extra, message] of [
      [{ DT_OS: "plan9" }, 'dt has no build for the OS "plan9"'],
      [{ DT_ARCH: "riscv64" }, 'dt has no build for the architecture "riscv64"'],
      [{ DT_OS: "MINGW64_NT-10.0" }, "dt has no Windows build"],
    ] as const) {
      const box = await sandbox();
      const result = await install({ ...box.env, ...extra, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
      await expectNothingInstalled(box);
    }
  });

  test("DT_OS/DT_ARCH pick another platform's binary, installed but not run", async () => {
    const other = HOST === "linux-arm64" ? "linux-x64" : "linux-arm64";
    const fakeOther = await releaseCopy(async (dir) => {
      const bytes = new TextEncoder().encode("not for this machine");
      await writeFile(join(dir, `dt-${other}`), bytes);
      await writeFile(join(dir, "SHA256SUMS"), `${sha256(bytes)}  dt-${other}\n`);
    });
    const box = await sandbox();
    const [os, arch] = other === "linux-x64" ? ["Linux", "x86_64"] : ["Linux", "aarch64"];
    const result = await install({ ...box.env, DT_OS: os, DT_ARCH: arch, DT_DOWNLOAD_URL: `file://${fakeOther}`, DT_INSTALL_DIR: box.prefix });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Not run: built for ${other}`);
    expect(await entries(box.prefix)).toEqual(["dt"]);
  });

  test("--help documents the options and variables; unknown options are usage errors", async () => {
    const help = await install({ PATH: process.env.PATH ?? "" }, ["--help"]);
    expect(help.code).toBe(0);
    for (const word of ["--version", "--prefix", "--help", "DT_VERSION", "DT_INSTALL_DIR", "DT_DOWNLOAD_URL", "DT_OS", "DT_ARCH"]) {
      expect(help.stdout).toContain(word);
    }
    const bad = await install({ PATH: process.env.PATH ?? "" }, ["--prefx", "/tmp/x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --prefx");
    expect((await install({ PATH: process.env.PATH ?? "" }, ["--version"])).code).toBe(2);
  });

  for (const shell of ["dash", "bash"]) {
    test.skipIf(!Bun.which(shell))(`installs under ${shell}`, async () => {
      const box = await sandbox();
      const result = await install(
        { ...box.env, DT_DOWNLOAD_URL: `file://${release}`, DT_INSTALL_DIR: box.prefix },
        [],
        Bun.which(shell)!,
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect((await run([join(box.prefix, "dt"), "--version"], { HOME: box.home })).code).toBe(0);
    });
  }
});

import { arch } from "node:os";
import { envError, usageError } from "./errors.ts";
import { readText } from "./fs-util.ts";

/** `os/arch[/variant]` as Docker names platforms: linux/amd64, linux/arm64/v8. */
export const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/v[0-9]+)?$/;

/**
 * `--platform P,...`: each entry a platform; undefined when the flag is not given. An empty
 * entry (`,,`, `linux/amd64,`) is a mistake, not "the default".
 */
export function parsePlatformList(value: string | undefined, flag = "--platform"): string[] | undefined {
  if (value === undefined) return undefined;
  const platforms = value.split(",").map((p) => p.trim());
  for (const p of platforms) {
    if (!PLATFORM.test(p)) {
      throw usageError(`${flag} ${JSON.stringify(value)}: ${p === "" ? "an empty entry" : JSON.stringify(p)} is not a platform`, {
        hint: `give platforms like linux/amd64 or linux/arm64, comma-separated (${flag} linux/amd64,linux/arm64)`,
      });
    }
  }
  return platforms;
}

/** Docker's arch names for Node's. */
export function hostPlatform(): string {
  const a = arch();
  return `linux/${a === "x64" ? "amd64" : a === "arm64" ? "arm64" : a}`;
}

const QEMU_NAMES: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  arm: "arm",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  "386": "i386",
};

/** The kernel's uname -m for a Docker arch (arm64 -> aarch64). */
const unameArch = (dockerArch: string) => QEMU_NAMES[dockerArch] ?? dockerArch;

/**
 * Whether this host can run binaries of a platform: natively, or through a QEMU binfmt_misc
 * handler that is registered and enabled.
 */
export function canRunPlatform(platform: string, native = hostPlatform()): { ok: boolean; how: string } {
  const [os, cpu] = platform.split("/");
  const [nativeOs, nativeCpu] = native.split("/");
  if (os !== nativeOs) return { ok: false, how: `${os} is not this host's OS (${nativeOs})` };
  if (cpu === nativeCpu) return { ok: true, how: "native" };
  const name = `qemu-${unameArch(cpu ?? "")}`;
  const entry = readText(`/proc/sys/fs/binfmt_misc/${name}`);
  if (entry === undefined) return { ok: false, how: `no binfmt_misc handler ${name}` };
  if (!entry.startsWith("enabled")) return { ok: false, how: `binfmt_misc handler ${name} is disabled` };
  return { ok: true, how: `QEMU (${name})` };
}

/** Every platform can be built here (natively or through QEMU), or an environment error with the fix. */
export function requireBuildable(platforms: readonly string[], native = hostPlatform()): void {
  for (const p of platforms) {
    const can = canRunPlatform(p, native);
    if (!can.ok) {
      throw envError(`cannot build for ${p} on this host: ${can.how}`, {
        hint: "apt-get install qemu-user-static binfmt-support && update-binfmts --enable (dt doctor checks this)",
      });
    }
  }
}

/** `-linux-arm64`: a platform as the end of an image tag. */
export const platformTagSuffix = (platform: string) => `-${platform.replace(/\//g, "-")}`;

/** What a platform's local image tags get appended: nothing for the host's own, `-linux-arm64` for another. */
export const platformSuffix = (platform: string, native: string) => (platform === native ? "" : platformTagSuffix(platform));

/**
 * How one platform of `platforms` is built: the engine is told the platform unless it is the
 * only one and the host's own, and a foreign platform's tags get its suffix.
 */
export const platformBuild = (platform: string, platforms: readonly string[], native: string) => ({
  platform: platforms.length > 1 || platform !== native ? platform : undefined,
  tagSuffix: platformSuffix(platform, native),
});

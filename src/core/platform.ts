import { arch } from "node:os";
import { readText } from "./fs-util.ts";

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
export const unameArch = (dockerArch: string) => QEMU_NAMES[dockerArch] ?? dockerArch;

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

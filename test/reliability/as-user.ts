// dt run as another uid, one without a passwd entry: root is needed to switch (setpriv), and
// the other uid must reach the binary and own the workspace. For tests of what dt does without
// a home, and of files that this uid may not read (root reads everything).
import { chmodSync, chownSync, copyFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { dtArgv, type DtResult } from "../support/dt.ts";
import { gitEnv, testdir } from "../support/fixtures.ts";

/** A uid with no passwd entry. */
export const OTHER_UID = 54321;

const live = new Set<ReturnType<typeof Bun.spawn>>();

/** SIGKILLs what `asOtherUser` started and is still running; for afterAll. */
export function killOtherUserRuns(): void {
  for (const proc of live) proc.kill("SIGKILL");
  live.clear();
}

let argv: string[] | undefined;

/**
 * dt as the other uid sees it: a copy of the binary in a dir it may enter (DT_BIN as given).
 * Made again when a file's cleanup removed it (test files share this module).
 */
function otherUserArgv(): string[] {
  if (argv && existsSync(argv[0]!)) return argv;
  if (process.getuid?.() !== 0) throw new Error(`this test runs dt as uid ${OTHER_UID} with setpriv: run the reliability suite as root, as the test bed does`);
  const [bin, ...rest] = dtArgv();
  if (process.env.DT_BIN) return (argv = [bin!, ...rest]);
  const dir = testdir().path;
  chmodSync(dir, 0o755);
  copyFileSync(bin!, join(dir, "dt"));
  chmodSync(join(dir, "dt"), 0o755);
  return (argv = [join(dir, "dt")]);
}

/** Gives `path` and everything below it to the other uid; its temp dir parent must be enterable. */
export function giveToOtherUser(path: string): void {
  chownSync(path, OTHER_UID, OTHER_UID);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) giveToOtherUser(join(path, name));
}

/** The engine socket's group, so the other uid may use it as a docker-group member would. */
function socketGroup(): number | undefined {
  const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  return host.startsWith("unix://") ? statSync(host.slice("unix://".length)).gid : undefined;
}

/** dt as the other uid, without HOME (and without USER/LOGNAME), in `cwd`; killed after `timeoutMs`. */
export async function asOtherUser(args: string[], cwd: string, timeoutMs = 60_000): Promise<DtResult> {
  const group = socketGroup();
  const env: Record<string, string | undefined> = { ...gitEnv(), NO_COLOR: "1" };
  for (const key of ["HOME", "USER", "LOGNAME"]) delete env[key];
  const started = performance.now();
  const proc = Bun.spawn(
    ["setpriv", `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, group === undefined ? "--clear-groups" : `--groups=${group}`, "env", "-u", "HOME", ...otherUserArgv(), ...args],
    { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  live.add(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  live.delete(proc);
  return { code, stdout, stderr, ms: performance.now() - started };
}

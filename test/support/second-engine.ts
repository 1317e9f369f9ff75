// A second, private Docker engine that a test may stop and start at will, for the engine
// faults of test/reliability/: the test bed's own engine is shared and is never stopped.
//
//   const engine = await startSecondEngine({ images: [tb.images.busybox] });
//   dt(args, { cwd, env: engine.env })          // DOCKER_HOST=unix://DIR/docker.sock
//   await engine.stop(); await engine.start();  // SIGTERM to its pid and wait; same data-root
//   afterAll(() => engine.destroy());           // stops it and removes DIR
//
// dockerd runs with --bridge=none (no network is created, as on the main bed) and spawns its
// own containerd under DIR/exec. Images come from the main engine by `docker save | load`.
import Docker from "dockerode";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface SecondEngine {
  /** Under /tmp: docker.sock, data/, exec/, docker.pid, dockerd.log. */
  dir: string;
  /** `unix://DIR/docker.sock`. */
  host: string;
  /** `{ DOCKER_HOST: host }`, to merge into dt's environment. */
  env: { DOCKER_HOST: string };
  /** dockerode on this engine (a fresh client per call: a restart drops old connections). */
  api(): Docker;
  /** The pid of the running dockerd, or null when stopped. */
  pid(): number | null;
  /** Starts dockerd (same data-root as before) and waits until it answers. */
  start(): Promise<void>;
  /** SIGTERM to dockerd and wait for it (and its containerd) to exit. */
  stop(): Promise<void>;
  /** Copies images from the main engine into this one (`docker save | docker -H ... load`). */
  load(images: readonly string[]): Promise<void>;
  /** Stops it if running and removes DIR. Safe to call twice. */
  destroy(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Every engine this process started, stopped synchronously if the test process exits early. */
const running = new Set<number>();
process.on("exit", () => {
  for (const pid of running) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
});

async function waitFor(what: string, ms: number, check: () => Promise<boolean> | boolean, log?: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  const tail = log && existsSync(log) ? `\n${readFileSync(log, "utf8").split("\n").slice(-20).join("\n")}` : "";
  throw new Error(`second engine: ${what} within ${ms} ms${tail}`);
}

export async function startSecondEngine(options: { images?: readonly string[] } = {}): Promise<SecondEngine> {
  // Short path: unix socket paths are limited to 108 bytes, containerd's live under exec/.
  const dir = mkdtempSync("/tmp/dt-eng-");
  const sock = join(dir, "docker.sock");
  const host = `unix://${sock}`;
  const log = join(dir, "dockerd.log");
  const pidfile = join(dir, "docker.pid");
  mkdirSync(join(dir, "data"), { recursive: true });
  mkdirSync(join(dir, "exec"), { recursive: true });
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let destroyed = false;

  const api = () => new Docker({ socketPath: sock });
  const answers = async () => {
    try {
      await api().ping();
      return true;
    } catch {
      return false;
    }
  };

  const engine: SecondEngine = {
    dir,
    host,
    env: { DOCKER_HOST: host },
    api,
    pid: () => (proc && alive(proc.pid) && proc.exitCode === null ? proc.pid : null),
    async start() {
      if (engine.pid() !== null) return;
      const fd = openSync(log, "a");
      try {
        proc = Bun.spawn(
          [
            "dockerd",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "-H",
            host,
            "--data-root",
            join(dir, "data"),
            "--exec-root",
            join(dir, "exec"),
            "--pidfile",
            pidfile,
          ],
          // Its own session: a Ctrl-C meant for the test run must not reach it before afterAll.
          { stdout: fd, stderr: fd, stdin: "ignore", detached: true },
        );
      } finally {
        closeSync(fd);
      }
      running.add(proc.pid);
      const started = proc;
      await waitFor("dockerd did not answer", 30_000, async () => {
        if (started.exitCode !== null) throw new Error(`second engine: dockerd exited with ${started.exitCode}\n${readFileSync(log, "utf8").slice(-2000)}`);
        return answers();
      }, log);
    },
    async stop() {
      const current = proc;
      if (!current || current.exitCode !== null) return;
      current.kill("SIGTERM");
      // dockerd stops its containers (10 s grace each, in parallel) and its containerd first.
      const exited = await Promise.race([current.exited.then(() => true), Bun.sleep(40_000).then(() => false)]);
      if (!exited) {
        current.kill("SIGKILL");
        await current.exited;
      }
      running.delete(current.pid);
      // Its containerd is gone with it; the socket file may stay behind (dockerd removes it).
      await waitFor("the socket did not close", 10_000, async () => !(await answers()));
    },
    async load(images) {
      for (const image of images) {
        const r = Bun.spawnSync(["sh", "-c", 'docker save "$1" | docker -H "$2" load -q', "sh", image, host], { stdout: "pipe", stderr: "pipe", env: { ...process.env, DOCKER_HOST: "" } });
        if (r.exitCode !== 0) throw new Error(`second engine: loading ${image} failed: ${r.stderr.toString()}`);
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await engine.stop();
      // Containers' overlay mounts are gone with the engine; what is left is plain files.
      Bun.spawnSync(["sh", "-c", 'grep -o " $1[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l', "sh", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  await engine.start();
  if (options.images?.length) await engine.load(options.images);
  return engine;
}

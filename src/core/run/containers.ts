import { statSync } from "node:fs";
import { hostname } from "node:os";
import type { Writable } from "node:stream";
import { DtError } from "../base/errors.ts";
import { interruptedBy, onCleanup } from "../base/lifecycle.ts";
import type { ContainerConfig, Engine, OutputSink } from "../engine/engine.ts";
import { engineStoppedError, lostEngine } from "../engine/engine-errors.ts";

/** Labels on every container dt starts: found and cleaned by label, never by name. */
export const CONTAINER_LABEL = {
  workspace: "dev.dt.workspace",
  runnableDir: "dev.dt.runnable-dir",
  pid: "dev.dt.pid",
  host: "dev.dt.host",
  /** The uid of the dt that started it: `dt docker clean` without --all cleans only the user's own. */
  uid: "dev.dt.uid",
} as const;

export interface RunSpec {
  image: string;
  /** Undefined: the image's CMD. */
  cmd?: string[];
  env: Record<string, string>;
  workingDir: string;
  /** `uid:gid`, or undefined to run as the image's user (`--root`). */
  user?: string;
  /** `HOST:CONTAINER[:ro]` entries, the workspace mount first. */
  binds: string[];
  labels: Record<string, string>;
  namePrefix: string;
  sibling?: boolean;
  dind?: boolean;
  network?: string;
  ports?: { container: number; host: number }[];
  /** Keep the container until dt has inspected it (to tell an OOM kill), then remove it. */
  keep?: boolean;
  /** Memory limit in bytes. */
  memory?: number;
}

/**
 * Where a container's streams go, decided by the caller: a command gives its terminal
 * (ui/container-io.ts), `dt test` gives collectors and no stdin.
 */
export interface ContainerIO {
  /** Allocate a TTY in the container. */
  tty: boolean;
  /** Fed to the container's stdin; null attaches none. */
  stdin: NodeJS.ReadableStream | null;
  stdout: OutputSink;
  stderr: OutputSink;
  /** With `tty`: the terminal, put in raw mode while the container has it, and its size. */
  terminal?: {
    raw(): () => void;
    size(): { rows: number; columns: number };
    onResize(listener: () => void): () => void;
  };
}

export function containerName(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[^a-zA-Z0-9]+/, "") || "dt";
  // Web crypto, not node:crypto: loading that costs a few ms of every `dt docker cmd`.
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `dt-${clean}-${suffix}`;
}

/** The Engine API's create body for a spec; `socketPath` is the engine's, for --sibling. */
export function containerConfig(spec: RunSpec, io: Pick<ContainerIO, "tty" | "stdin">, socketPath: string | undefined): ContainerConfig {
  const attachStdin = io.stdin !== null;
  const binds = [...spec.binds];
  const env = { ...spec.env };
  const groupAdd: string[] = [];
  if (spec.sibling && socketPath) {
    binds.push(`${socketPath}:/var/run/docker.sock`);
    env.DOCKER_HOST = "unix:///var/run/docker.sock";
    // The socket is usually root:docker 0660; the host user's uid needs the group.
    groupAdd.push(String(statSync(socketPath).gid));
  }
  if (spec.dind) env.DT_DIND = "1";
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const exposed: Record<string, object> = {};
  for (const p of spec.ports ?? []) {
    portBindings[`${p.container}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: String(p.host) }];
    exposed[`${p.container}/tcp`] = {};
  }
  return {
    name: containerName(spec.namePrefix),
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: spec.workingDir,
    User: spec.user,
    Labels: { ...spec.labels, [CONTAINER_LABEL.pid]: String(process.pid), [CONTAINER_LABEL.host]: hostname(), [CONTAINER_LABEL.uid]: String(process.getuid?.() ?? "") },
    Tty: io.tty,
    OpenStdin: attachStdin,
    StdinOnce: attachStdin,
    AttachStdin: attachStdin,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: spec.ports?.length ? exposed : undefined,
    HostConfig: {
      Binds: binds,
      AutoRemove: !spec.keep,
      Memory: spec.memory,
      MemorySwap: spec.memory,
      Init: true,
      Privileged: spec.dind ?? false,
      GroupAdd: groupAdd.length ? groupAdd : undefined,
      NetworkMode: spec.network,
      PortBindings: spec.ports?.length ? portBindings : undefined,
    },
  };
}

export interface RunOutcome {
  exitCode: number;
  /** The kernel killed it for exceeding its memory limit. */
  oomKilled: boolean;
  /** The engine stopped (shut down) while the container ran: that, not the command, ended it. */
  engineStopped: boolean;
}

/**
 * A container that died of a signal dt did not send: did the engine shut down under it? An
 * engine stopping stops its containers first (a `kill` event, as for `docker stop`) and stops
 * answering about a second later, so: a kill event for this container, then the engine gone
 * within a few seconds. A plain `docker stop` costs that wait and is reported as the command's
 * own exit code.
 */
async function stoppedByEngine(engine: Engine, id: string, since: number): Promise<boolean> {
  try {
    // Fractional seconds: a kill in the current second is after a whole-second `until`.
    const events = await engine.events({ since, until: Date.now() / 1000, container: id, events: ["kill"] });
    if (!events.some((e) => (e.Action ?? e.status) === "kill")) return false;
  } catch {
    // No answer about events: the engine is on its way out already.
  }
  for (let i = 0; i < 40; i++) {
    try {
      await engine.ping({ timeoutMs: 1000 });
    } catch {
      return true;
    }
    await Bun.sleep(100);
  }
  return false;
}

/** A container created for a run and not started yet; an interrupt from now on removes it. */
export interface CreatedContainer {
  id: string;
  config: ContainerConfig;
  /** Forgets the cleanup (the run removes it itself, or it is gone). */
  release: () => void;
}

/** Creates the container of `spec`; the engine's refusal (a missing image) rejects as usual. */
export async function createContainer(engine: Engine, spec: RunSpec, io: ContainerIO): Promise<CreatedContainer> {
  const config = containerConfig(spec, io, engine.socketPath);
  const id = await engine.createContainer(config);
  return { id, config, release: onCleanup(() => engine.removeContainer(id)) };
}

/** Removes a container that was created and will not be started after all. */
export async function discardContainer(engine: Engine, created: CreatedContainer): Promise<void> {
  try {
    await engine.removeContainer(created.id);
  } finally {
    created.release();
  }
}

/**
 * Runs a container to completion with its stdout, stderr and exit code passed through `io`.
 * The engine removes it when it exits (AutoRemove) unless `keep` asks to inspect it first;
 * dt's cleanup removes it if dt is interrupted; a SIGKILLed dt leaves it labelled for
 * `dt docker clean`. `created`: the container of this very spec, made earlier.
 */
export async function runContainer(engine: Engine, spec: RunSpec, io: ContainerIO, created?: CreatedContainer): Promise<number> {
  const outcome = await runContainerFully(engine, spec, io, created);
  if (outcome.engineStopped) throw engineStoppedError(outcome.exitCode);
  return outcome.exitCode;
}

export async function runContainerFully(engine: Engine, spec: RunSpec, io: ContainerIO, created?: CreatedContainer): Promise<RunOutcome> {
  const { id, config, release } = created ?? (await createContainer(engine, spec, io));
  try {
    // Attach and wait side by side (two connections), both in place before the start: output
    // written at once, or an exit (and AutoRemove) that comes first, is not missed. With
    // AutoRemove, wait for the removal, as `docker run --rm` does: when dt returns, the
    // container is gone, not "Removal In Progress".
    const attaching = engine.attachContainer(id, { tty: config.Tty, stdin: config.AttachStdin, stdout: io.stdout, stderr: io.stderr });
    const waiting = engine.waitContainer(id, spec.keep ? "next-exit" : "removed");
    waiting.catch(() => {});
    const attached = await attaching;
    const waited = (await waiting).exitCode;
    const stopStdin = attached.input && io.stdin ? feedStdin(engine, id, io, attached.input) : () => {};
    const since = Math.floor(Date.now() / 1000) - 1;
    // Only a running container's TTY can be sized (the engine refuses earlier), and the shell
    // reads its size as it starts: once while the start is under way, again once it is done.
    const sizeTerminal = () => io.tty && io.terminal && void engine.resizeContainer(id, io.terminal.size());
    const early = setTimeout(sizeTerminal, 50);
    try {
      await engine.startContainer(id);
    } catch (cause) {
      clearTimeout(early);
      stopStdin();
      throw startError(cause, spec);
    }
    sizeTerminal();
    let exitCode: number;
    try {
      exitCode = await waited;
    } catch (error) {
      // The engine went away with the container running (its shutdown closed the wait before
      // it said the container ended): that is what happened, not an engine never reached.
      if (lostEngine(error) && !interruptedBy()) return { exitCode: -1, oomKilled: false, engineStopped: true };
      throw error;
    } finally {
      stopStdin();
    }
    await Promise.race([attached.ended, Bun.sleep(2000)]);
    if (exitCode > 128 && !interruptedBy() && (await stoppedByEngine(engine, id, since))) {
      return { exitCode, oomKilled: false, engineStopped: true };
    }
    let oomKilled = false;
    if (spec.keep) {
      oomKilled = Boolean((await engine.inspectContainer(id).catch(() => undefined))?.oomKilled);
      await engine.removeContainer(id);
    }
    return { exitCode, oomKilled, engineStopped: false };
  } catch (error) {
    // An attach or wait that failed leaves a created container: it must not outlive dt's run.
    await engine.removeContainer(id).catch(() => {});
    throw error;
  } finally {
    release();
  }
}

function startError(cause: unknown, spec: RunSpec): unknown {
  if (!(cause instanceof DtError)) return cause;
  const message = cause.message.replace("starting the container", `starting the container of ${spec.image}`);
  const hint = spec.dind ? "--dind needs an engine that may start privileged containers (rootless engines and some sandboxes refuse)" : cause.hint;
  return new DtError(cause.exitCode, message, { cause, hint, where: cause.where });
}

/** Feeds `io.stdin` to the container; with a TTY also raw mode and the window size. */
function feedStdin(engine: Engine, id: string, io: ContainerIO, input: Writable): () => void {
  const stdin = io.stdin!;
  const terminal = io.terminal;
  if (io.tty && terminal) {
    const restore = terminal.raw();
    const resize = () => void engine.resizeContainer(id, terminal.size());
    const stopResizing = terminal.onResize(resize);
    stdin.pipe(input);
    return () => {
      stopResizing();
      stdin.unpipe(input);
      restore();
      stdin.pause();
    };
  }
  const onData = (chunk: Buffer) => input.write(chunk);
  const onEnd = () => input.end();
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  return () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
  };
}

export interface DtContainer {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  runnableDir: string;
  workspace: string;
  pid: number | null;
  host: string;
  /** Null for a container of a dt that did not record it. */
  uid: number | null;
  created: string;
}

/** dt's containers, optionally of one workspace only. */
export async function listDtContainers(engine: Engine, workspace?: string): Promise<DtContainer[]> {
  const labels = workspace ? [`${CONTAINER_LABEL.workspace}=${workspace}`] : [CONTAINER_LABEL.workspace];
  const list = await engine.listContainers({ labels });
  return list.map((c) => ({
    id: c.Id.slice(0, 12),
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    image: c.Image,
    state: c.State,
    status: c.Status,
    runnableDir: c.Labels[CONTAINER_LABEL.runnableDir] ?? "",
    workspace: c.Labels[CONTAINER_LABEL.workspace] ?? "",
    pid: c.Labels[CONTAINER_LABEL.pid] ? Number(c.Labels[CONTAINER_LABEL.pid]) : null,
    host: c.Labels[CONTAINER_LABEL.host] ?? "",
    uid: /^\d+$/.test(c.Labels[CONTAINER_LABEL.uid] ?? "") ? Number(c.Labels[CONTAINER_LABEL.uid]) : null,
    created: new Date(c.Created * 1000).toISOString(),
  }));
}

/**
 * A container dt may clean: stopped (dt removes its own as soon as they stop, so a stopped one
 * was left behind), or in any other state only when the dt that started it is provably gone:
 * it ran on this host and its pid no longer exists. kill(pid, 0) failing with EPERM means the
 * process exists under another user: alive. On another host nothing proves it gone.
 */
export function isOrphan(c: DtContainer): boolean {
  if (c.state === "exited" || c.state === "dead") return true;
  if (c.state === "removing" || c.pid === null || c.host !== hostname()) return false;
  try {
    process.kill(c.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

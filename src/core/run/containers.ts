import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { hostname } from "node:os";
import { engineCall, engineError, engineHost, isNotFound, START_HINT } from "../engine/engine.ts";
import { DtError, envError } from "../base/errors.ts";
import { interruptedBy, onCleanup } from "../base/lifecycle.ts";
import { isTTY, stdinIsNull, writeAll } from "../../ui/fd.ts";
import { Writable } from "node:stream";

/** Labels on every container dt starts: found and cleaned by label, never by name. */
export const CONTAINER_LABEL = {
  workspace: "dev.dt.workspace",
  runnableDir: "dev.dt.runnable-dir",
  pid: "dev.dt.pid",
  host: "dev.dt.host",
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
  /** Interactive: a TTY when dt has one, and stdin attached. */
  interactive: boolean;
  sibling?: boolean;
  dind?: boolean;
  network?: string;
  ports?: { container: number; host: number }[];
  /** Where the container's output goes instead of dt's own stdout/stderr. */
  output?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  /** Keep the container until dt has inspected it (to tell an OOM kill), then remove it. */
  keep?: boolean;
  /** Memory limit in bytes. */
  memory?: number;
  /** Attach no stdin even when dt's stdin is a pipe (parallel test runs share one stdin). */
  noStdin?: boolean;
}

export function containerName(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[^a-zA-Z0-9]+/, "") || "dt";
  return `dt-${clean}-${randomBytes(4).toString("hex")}`;
}

/** The engine's unix socket path, for --sibling; undefined for a TCP/SSH engine. */
export function engineSocket(): string | undefined {
  const host = engineHost();
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

export function createOptions(spec: RunSpec): Docker.ContainerCreateOptions {
  const tty = spec.interactive && isTTY(0) && isTTY(1);
  const attachStdin = !spec.noStdin && (spec.interactive || (!isTTY(0) && !stdinIsNull()));
  const binds = [...spec.binds];
  const env = { ...spec.env };
  const groupAdd: string[] = [];
  if (spec.sibling) {
    const socket = engineSocket();
    if (socket) {
      binds.push(`${socket}:/var/run/docker.sock`);
      env.DOCKER_HOST = "unix:///var/run/docker.sock";
      // The socket is usually root:docker 0660; the host user's uid needs the group.
      groupAdd.push(String(statSync(socket).gid));
    }
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
    Labels: { ...spec.labels, [CONTAINER_LABEL.pid]: String(process.pid), [CONTAINER_LABEL.host]: hostname() },
    Tty: tty,
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

/** The error of a command whose engine shut down under it (exit 3, with how to start it again). */
export function engineStoppedError(exitCode: number): DtError {
  const signal = exitCode > 128 ? ` (the command got signal ${exitCode - 128})` : "";
  return envError(`the Docker engine at ${engineHost()} stopped while the container was running${signal}`, {
    hint: `${START_HINT}; then 'dt docker clean' removes anything left behind`,
  });
}

/**
 * A container that died of a signal dt did not send: did the engine shut down under it? An
 * engine stopping stops its containers first (a `kill` event, as for `docker stop`) and stops
 * answering about a second later, so: a kill event for this container, then the engine gone
 * within a few seconds. A plain `docker stop` costs that wait and is reported as the command's
 * own exit code.
 */
async function stoppedByEngine(docker: Docker, id: string, since: number): Promise<boolean> {
  try {
    const until = Math.floor(Date.now()) / 1000;
    const stream = (await docker.getEvents({ since, until, filters: { container: [id], event: ["kill"] } })) as unknown as AsyncIterable<Buffer>;
    let body = "";
    for await (const chunk of stream) body += chunk.toString();
    if (!body.includes('"kill"')) return false;
  } catch {
    // No answer about events: the engine is on its way out already.
  }
  for (let i = 0; i < 40; i++) {
    try {
      await docker.ping();
    } catch {
      return true;
    }
    await Bun.sleep(100);
  }
  return false;
}

/**
 * Runs a container to completion with its stdout, stderr and exit code passed through (or
 * into `spec.output`). The engine removes it when it exits (AutoRemove) unless `keep` asks to
 * inspect it first; dt's cleanup removes it if dt is interrupted; a SIGKILLed dt leaves it
 * labelled for `dt docker clean`.
 */
export async function runContainer(docker: Docker, spec: RunSpec): Promise<number> {
  const outcome = await runContainerFully(docker, spec);
  if (outcome.engineStopped) throw engineStoppedError(outcome.exitCode);
  return outcome.exitCode;
}

export async function runContainerFully(docker: Docker, spec: RunSpec): Promise<RunOutcome> {
  const options = createOptions(spec);
  const container = await engineCall(`creating a container from ${spec.image}`, () => docker.createContainer(options));
  const removeOnInterrupt = onCleanup(() => forceRemove(container));
  try {
    const stream = await engineCall("attaching to the container", () =>
      container.attach({ stream: true, stdin: options.AttachStdin, stdout: true, stderr: true, hijack: true }),
    );
    const outputDone = pipeOutput(docker, stream, options.Tty ?? false, spec.output);
    const stopStdin = options.AttachStdin ? pipeStdin(stream, options.Tty ?? false, container) : () => {};
    // With AutoRemove, wait for the removal, as `docker run --rm` does: when dt returns, the
    // container is gone, not "Removal In Progress".
    const waited = container.wait({ condition: spec.keep ? "next-exit" : "removed" });
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      await container.start();
    } catch (cause) {
      await forceRemove(container).catch(() => {});
      const error = engineError(cause, `starting the container of ${spec.image}`);
      if (!spec.dind) throw error;
      throw new DtError(error.exitCode, error.message, {
        cause,
        hint: "--dind needs an engine that may start privileged containers (rootless engines and some sandboxes refuse)",
      });
    }
    let result: { StatusCode: number; Error?: { Message?: string } | null };
    try {
      result = (await waited) as typeof result;
    } catch (cause) {
      throw engineError(cause, "waiting for the container");
    } finally {
      stopStdin();
    }
    await Promise.race([outputDone, Bun.sleep(2000)]);
    if (result.StatusCode > 128 && !interruptedBy() && (await stoppedByEngine(docker, container.id, since))) {
      return { exitCode: result.StatusCode, oomKilled: false, engineStopped: true };
    }
    let oomKilled = false;
    if (spec.keep) {
      const state = await container.inspect().then((i) => i.State, () => undefined);
      oomKilled = Boolean(state?.OOMKilled);
      await forceRemove(container);
    }
    return { exitCode: result.StatusCode, oomKilled, engineStopped: false };
  } finally {
    removeOnInterrupt();
  }
}

async function forceRemove(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true });
  } catch (e) {
    if (!isNotFound(e) && (e as { statusCode?: number }).statusCode !== 409) throw e;
  }
}

function pipeOutput(docker: Docker, stream: NodeJS.ReadWriteStream, tty: boolean, output?: RunSpec["output"]): Promise<void> {
  const stdout = output?.stdout ?? fdWritable(1);
  const stderr = output?.stderr ?? fdWritable(2);
  return new Promise((resolve) => {
    if (tty) stream.pipe(stdout, { end: false });
    else docker.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    stream.on("error", () => resolve());
  });
}

/** Feeds dt's stdin to the container; for a TTY also raw mode and window size. */
function pipeStdin(stream: NodeJS.ReadWriteStream, tty: boolean, container: Docker.Container): () => void {
  const stdin = process.stdin;
  if (tty && stdin.isTTY) {
    stdin.setRawMode(true);
    const resize = () => {
      container.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => {});
    };
    process.stdout.on("resize", resize);
    setTimeout(resize, 50);
    stdin.pipe(stream);
    return () => {
      process.stdout.off("resize", resize);
      stdin.unpipe(stream);
      stdin.setRawMode(false);
      stdin.pause();
    };
  }
  const onData = (chunk: Buffer) => stream.write(chunk);
  const onEnd = () => (stream as unknown as { end: () => void }).end();
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
  created: string;
}

/** dt's containers, optionally of one workspace only. */
export async function listDtContainers(docker: Docker, workspace?: string): Promise<DtContainer[]> {
  const label = workspace ? [`${CONTAINER_LABEL.workspace}=${workspace}`] : [CONTAINER_LABEL.workspace];
  const list = await engineCall("listing containers", () => docker.listContainers({ all: true, filters: { label } }));
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
    created: new Date(c.Created * 1000).toISOString(),
  }));
}

/**
 * A container dt may clean: stopped, or running while the dt process that started it on this
 * host is gone (dt was SIGKILLed).
 */
export function isOrphan(c: DtContainer): boolean {
  if (c.state !== "running") return true;
  if (c.pid === null || c.host !== hostname()) return false;
  try {
    process.kill(c.pid, 0);
    return false;
  } catch {
    return true;
  }
}

export async function removeContainer(docker: Docker, id: string): Promise<void> {
  await engineCall(`removing container ${id}`, () => forceRemove(docker.getContainer(id)));
}

/** A Writable over a file descriptor (a container's output passed through unbuffered). */
export function fdWritable(fd: number): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      try {
        writeAll(fd, chunk as Uint8Array);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
}

// What dt asks of a Docker engine, as one interface. The implementation (docker-engine.ts)
// chooses the transport of each call; orchestration (build, run, test, release) takes an
// `Engine` as an argument, so it runs in-process against test/support/fake-engine.ts too.
// Every method throws DtError (engine-errors.ts), never a transport's own error.
import type { Writable } from "node:stream";

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  host: string;
}

/** The fields of `GET /images/{name}/json` dt reads. */
export interface ImageInfo {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Os: string;
  Architecture: string;
  Created: string;
  Size: number;
  /** OnBuild: the image's ONBUILD triggers, which a build FROM it runs (and does not pass on). */
  Config?: { Labels?: Record<string, string> | null; OnBuild?: string[] | null } | null;
}

/** One entry of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  Labels?: Record<string, string> | null;
  Created: number;
}

/** One entry of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Status: string;
  Labels: Record<string, string>;
  Created: number;
}

/** The body of `POST /containers/create` (the fields dt sets), plus its name. */
export interface ContainerConfig {
  name: string;
  Image: string;
  Cmd?: string[];
  Env: string[];
  WorkingDir: string;
  User?: string;
  Labels: Record<string, string>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  HostConfig: {
    Binds: string[];
    AutoRemove: boolean;
    Memory?: number;
    MemorySwap?: number;
    Init: boolean;
    Privileged: boolean;
    GroupAdd?: string[];
    NetworkMode?: string;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  };
}

/**
 * Where a container's output goes. A Node Writable is one; so is anything whose `write` says
 * whether it takes more now and that says "drain" when it does again. (A terminal needs no
 * node:stream, which costs a few ms of every `dt docker cmd` to load.)
 */
export interface OutputSink {
  write(chunk: Uint8Array): boolean;
  on(event: "drain" | "close" | "error", listener: () => void): unknown;
  off(event: "drain" | "close" | "error", listener: () => void): unknown;
}

/** Where an attached container's streams go: chosen by the caller (a terminal, a collector). */
export interface AttachStreams {
  tty: boolean;
  stdin: boolean;
  stdout: OutputSink;
  stderr: OutputSink;
}

export interface Attached {
  /** The container's stdin, when attached with `stdin`. */
  input: Writable | null;
  /** Settles when the container's output has ended (never rejects). */
  ended: Promise<void>;
}

export interface Waiting {
  /** Settles when the condition holds: the container's exit code. */
  exitCode: Promise<number>;
}

/** A build context the engine can take either way: lent chunks or a stream of copies. */
export interface BuildBody {
  /** Exact length in bytes. */
  length: number;
  /** Chunks each valid until the next is asked for (the fast path over a plain socket). */
  lentChunks: () => Iterable<Uint8Array>;
  /** The same bytes as a stream that owns its chunks (for transports that keep them). */
  stream: () => NodeJS.ReadableStream;
}

/** Query of `POST /build`; maps (build args, labels) are sent as JSON, as the API wants. */
export type BuildQuery = Record<string, string | boolean | Record<string, string>>;

/** What dockerode passes as X-Registry-Auth; never printed. */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

/** A progress stream of JSON lines (build, push, pull), read with readJsonLines. */
export type ProgressStream = AsyncIterable<Uint8Array | string>;

export interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
}

/** Which events: of one container, of one type of object, of some actions; `until` in the past ends the answer. */
export interface EventFilter {
  since: number;
  until: number;
  container?: string;
  type?: "container" | "image";
  events?: string[];
  timeoutMs?: number;
}

export interface Engine {
  /** DOCKER_HOST as dt reads it. */
  readonly host: string;
  /** The engine's unix socket, for --sibling; undefined for tcp:// and ssh:// engines. */
  readonly socketPath: string | undefined;

  version(options?: { timeoutMs?: number }): Promise<EngineInfo>;
  /**
   * How many images the engine holds (dangling and intermediate ones too: it moves whenever one
   * is made or removed) and the engine's clock, in seconds.
   */
  imageState(options?: { timeoutMs?: number }): Promise<{ images: number; time: number }>;
  /** Fails unless the engine answers within `timeoutMs` (default: a metadata call's deadline). */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  events(filter: EventFilter): Promise<EngineEvent[]>;

  /** Undefined when there is no such image; `timeoutMs` shortens the deadline (a listing's). */
  inspectImage(name: string, options?: { timeoutMs?: number }): Promise<ImageInfo | undefined>;
  listImages(filter?: { labels?: string[]; dangling?: boolean; timeoutMs?: number }): Promise<ImageSummary[]>;
  tagImage(source: string, repository: string, tag: string): Promise<void>;
  removeImage(id: string): Promise<void>;
  build(body: BuildBody, query: BuildQuery): Promise<ProgressStream>;
  /**
   * Builds `image` + `labels` in one LABEL step (query: t, platform) and streams it as build
   * does: /build's own `labels` would cost a step per label.
   */
  labelImage(image: string, labels: Readonly<Record<string, string>>, query: BuildQuery): Promise<ProgressStream>;
  push(repository: string, tag: string, auth: AuthConfig | undefined): Promise<ProgressStream>;
  pull(reference: string, options: { auth?: AuthConfig; platform?: string }): Promise<ProgressStream>;

  createContainer(config: ContainerConfig): Promise<string>;
  attachContainer(id: string, streams: AttachStreams): Promise<Attached>;
  startContainer(id: string): Promise<void>;
  /**
   * Registers a wait for the condition ("removed": after AutoRemove); resolves once the engine
   * holds it, so a start sent after cannot outrun it, with the exit code to come.
   */
  waitContainer(id: string, condition: "next-exit" | "removed"): Promise<Waiting>;
  inspectContainer(id: string): Promise<{ oomKilled: boolean } | undefined>;
  resizeContainer(id: string, size: { rows: number; columns: number }): Promise<void>;
  /** Force-removes; a container already gone (or being removed) is not an error. */
  removeContainer(id: string): Promise<void>;
  listContainers(filter: { labels: string[] }): Promise<ContainerSummary[]>;
}

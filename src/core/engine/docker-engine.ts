// The one implementation of `Engine`, and the one place that chooses a transport per call:
// - over a plain socket (unix://, tcp:// without TLS), dt's own HTTP client (engine-socket.ts)
//   for every call but push and pull: dockerode costs ~100 ms to load in a compiled binary, more
//   than `dt ls` or the engine's part of `dt docker cmd -- true` take, and the client attaches
//   by taking the connection over, as the Docker CLI does;
// - a build context over a plain socket is dt's own upload of lent chunks (upload.ts);
// - push and pull, and every call to a TLS or ssh:// engine, go through dockerode, loaded on
//   first use.
// Every metadata call has a deadline (CALL_DEADLINE_MS unless a caller asks for less): an engine
// that accepts and never answers is an error naming it, not a hang. Once one call has gone
// unanswered that long, later calls fail at once rather than wait again.
import type Docker from "dockerode";
import type {
  Attached,
  AttachStreams,
  AuthConfig,
  BuildBody,
  BuildQuery,
  ContainerConfig,
  ContainerSummary,
  Engine,
  EngineEvent,
  EventFilter,
  EngineInfo,
  ImageInfo,
  ImageSummary,
  ProgressStream,
  Waiting,
} from "./engine.ts";
import { engineError, isNotFound, statusOf } from "./engine-errors.ts";
import { plainEngineAddress, type PlainEngineAddress } from "./engine-host.ts";
import { call, CALL_DEADLINE_MS, silentEngine, stream, type EngineRequest } from "./engine-socket.ts";
import { attachedStreams } from "./attach-stream.ts";
import { collect } from "./http-response.ts";

const q = (params: Record<string, string | number | boolean | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
};

const filtersOf = (filters: Record<string, string[]>) => (Object.keys(filters).length ? JSON.stringify(filters) : undefined);

export class DockerEngine implements Engine {
  readonly socketPath: string | undefined;
  private readonly address: PlainEngineAddress | null;
  private client: Promise<Docker> | undefined;
  /** Set once a call went unanswered for the full deadline: the engine is taken as silent. */
  private silent: Error | undefined;

  constructor(readonly host: string) {
    this.socketPath = host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
    this.address = plainEngineAddress(process.env, host);
  }

  private dockerode(): Promise<Docker> {
    // The engine of `host`, which for a builder is not the one DOCKER_HOST names. Its options
    // (node:https, certificates) load with dockerode, not with every run over the socket.
    this.client ??= Promise.all([import("dockerode"), import("./dockerode-options.ts")]).then(
      ([{ default: Dockerode }, { dockerodeOptions }]) => new Dockerode(dockerodeOptions(this.host)),
    );
    return this.client;
  }

  /**
   * One metadata call, over the plain socket when there is one, else through dockerode; within
   * `deadlineMs` either way. Failures are mapped with the words of what dt was doing.
   */
  private async ask<T>(
    doing: string,
    request: EngineRequest,
    viaDockerode: (docker: Docker) => Promise<unknown>,
    deadlineMs = CALL_DEADLINE_MS,
    as: "json" | "text" = "json",
  ): Promise<T> {
    if (this.silent) throw engineError(this.silent, doing);
    try {
      if (this.address) return await call<T>(this.address, request, deadlineMs, as);
      return (await withDeadline(this.dockerode().then(viaDockerode), deadlineMs)) as T;
    } catch (cause) {
      if ((cause as { deadlineMs?: number }).deadlineMs === CALL_DEADLINE_MS) this.silent = cause as Error;
      throw engineError(cause, doing);
    }
  }

  /** `ask`, with a 404 answered as undefined. */
  private async askOrMissing<T>(doing: string, request: EngineRequest, viaDockerode: (docker: Docker) => Promise<unknown>, deadlineMs?: number): Promise<T | undefined> {
    try {
      return await this.ask<T>(doing, request, viaDockerode, deadlineMs);
    } catch (error) {
      if (isNotFound((error as Error).cause)) return undefined;
      throw error;
    }
  }

  async version(options: { timeoutMs?: number } = {}): Promise<EngineInfo> {
    const v = await this.ask<Docker.DockerVersion>("asking for its version", { method: "GET", path: "/version" }, (d) => d.version(), options.timeoutMs ?? 2000);
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch, host: this.host };
  }

  async imageState(options: { timeoutMs?: number } = {}): Promise<{ images: number; time: number }> {
    const info = await this.ask<{ Images?: number; SystemTime?: string }>("asking for its state", { method: "GET", path: "/info" }, (d) => d.info(), options.timeoutMs);
    const time = info.SystemTime ? Date.parse(info.SystemTime) : NaN;
    return { images: info.Images ?? 0, time: (Number.isNaN(time) ? Date.now() : time) / 1000 };
  }

  async ping(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.ask("pinging", { method: "GET", path: "/_ping" }, (d) => d.ping(), options.timeoutMs, "text");
  }

  async events(filter: EventFilter): Promise<EngineEvent[]> {
    const filters: Record<string, string[]> = {};
    if (filter.container !== undefined) filters.container = [filter.container];
    if (filter.type !== undefined) filters.type = [filter.type];
    if (filter.events !== undefined) filters.event = filter.events;
    const path = `/events${q({ since: filter.since, until: filter.until, filters: JSON.stringify(filters) })}`;
    // Lines of JSON, not one document; `until` (in the past) ends the stream at once.
    const text = await this.ask<string>(
      "reading events",
      { method: "GET", path },
      async (d) => {
        let body = "";
        for await (const chunk of (await d.getEvents({ since: filter.since, until: filter.until, filters })) as unknown as AsyncIterable<Buffer>) body += chunk.toString();
        return body;
      },
      filter.timeoutMs ?? CALL_DEADLINE_MS,
      "text",
    );
    return text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as EngineEvent);
  }

  inspectImage(name: string, options: { timeoutMs?: number } = {}): Promise<ImageInfo | undefined> {
    return this.askOrMissing<ImageInfo>(`inspecting image ${name}`, { method: "GET", path: `/images/${name}/json` }, (d) => d.getImage(name).inspect(), options.timeoutMs);
  }

  listImages(filter: { labels?: string[]; dangling?: boolean; timeoutMs?: number } = {}): Promise<ImageSummary[]> {
    const filters: Record<string, string[]> = {};
    if (filter.labels?.length) filters.label = filter.labels;
    if (filter.dangling) filters.dangling = ["true"];
    const path = `/images/json${q({ filters: filtersOf(filters) })}`;
    return this.ask<ImageSummary[]>("listing images", { method: "GET", path }, (d) => d.listImages({ filters }), filter.timeoutMs);
  }

  async tagImage(source: string, repository: string, tag: string): Promise<void> {
    const path = `/images/${source}/tag${q({ repo: repository, tag })}`;
    await this.ask(`tagging ${repository}:${tag}`, { method: "POST", path }, (d) => d.getImage(source).tag({ repo: repository, tag }));
  }

  async removeImage(id: string): Promise<void> {
    await this.ask(`removing image ${id}`, { method: "DELETE", path: `/images/${id}` }, (d) => d.getImage(id).remove());
  }

  async build(body: BuildBody, query: BuildQuery): Promise<ProgressStream> {
    const doing = `building ${String(query.t ?? "an image")}`;
    const address = this.address;
    if (!address) {
      const docker = await this.dockerode();
      return this.streamed(doing, async () => (await docker.buildImage(body.stream(), query)) as unknown as ProgressStream);
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) params.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    const { postUpload } = await import("./upload.ts");
    const response = await this.streamed(doing, () =>
      postUpload(address, { path: `/build?${params}`, contentType: "application/x-tar", length: body.length, body: body.lentChunks() }),
    );
    return response.body;
  }

  async labelImage(image: string, labels: Readonly<Record<string, string>>, query: BuildQuery): Promise<ProgressStream> {
    const [{ labelDockerfile }, { injectedEntry }, { lentTarChunks, packContext, tarSize }] = await Promise.all([
      import("../build/label-dockerfile.ts"),
      import("../build/context.ts"),
      import("../build/tar-writer.ts"),
    ]);
    const dockerfile = labelDockerfile(image, labels);
    const entries = [injectedEntry("Dockerfile", { text: dockerfile ?? `FROM ${image}\n`, mode: 0o644 })];
    const body = { length: tarSize(entries), lentChunks: () => lentTarChunks(entries), stream: () => packContext(entries) };
    // A label no Dockerfile word can hold goes the slow way, as a step of its own.
    return this.build(body, { ...query, dockerfile: "Dockerfile", rm: true, forcerm: true, ...(dockerfile === undefined ? { labels: { ...labels } } : {}) });
  }

  /** A call whose answer is a stream: no deadline (a build may take an hour), failures mapped. */
  private async streamed<T>(doing: string, open: () => Promise<T>): Promise<T> {
    if (this.silent) throw engineError(this.silent, doing);
    try {
      return await open();
    } catch (cause) {
      throw engineError(cause, doing);
    }
  }

  async push(repository: string, tag: string, auth: AuthConfig | undefined): Promise<ProgressStream> {
    const docker = await this.dockerode();
    const image = docker.getImage(`${repository}:${tag}`);
    return this.streamed(`pushing ${repository}:${tag}`, async () => (await image.push({ tag, authconfig: auth })) as unknown as ProgressStream);
  }

  async pull(reference: string, options: { auth?: AuthConfig; platform?: string }): Promise<ProgressStream> {
    const docker = await this.dockerode();
    return this.streamed(`pulling ${reference}`, async () =>
      (await docker.pull(reference, { authconfig: options.auth, ...(options.platform ? { platform: options.platform } : {}) })) as ProgressStream,
    );
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    const { name, ...body } = config;
    const created = await this.ask<{ Id: string }>(
      `creating a container from ${config.Image}`,
      { method: "POST", path: `/containers/create${q({ name })}`, json: body },
      (d) => d.createContainer(config),
    );
    return created.Id;
  }

  async attachContainer(id: string, streams: AttachStreams): Promise<Attached> {
    const doing = "attaching to the container";
    if (!this.address) {
      const docker = await this.dockerode();
      const attached = await this.streamed(doing, () =>
        withDeadline(docker.getContainer(id).attach({ stream: true, stdin: streams.stdin, stdout: true, stderr: true, hijack: true }), CALL_DEADLINE_MS),
      );
      const ended = new Promise<void>((resolve) => {
        if (streams.tty) attached.on("data", (chunk: Buffer) => streams.stdout.write(chunk));
        else docker.modem.demuxStream(attached, streams.stdout as unknown as NodeJS.WritableStream, streams.stderr as unknown as NodeJS.WritableStream);
        attached.on("end", () => resolve());
        attached.on("close", () => resolve());
        attached.on("error", () => resolve());
      });
      return { input: streams.stdin ? (attached as unknown as NonNullable<Attached["input"]>) : null, ended };
    }
    const path = `/containers/${id}/attach${q({ stream: 1, stdin: streams.stdin ? 1 : 0, stdout: 1, stderr: 1 })}`;
    const address = this.address;
    // The engine answers 101 at once; the stream after it lasts as long as the container.
    const connection = await this.streamed(doing, () => stream(address, { method: "POST", path, upgrade: true }, CALL_DEADLINE_MS));
    return attachedStreams(connection, streams);
  }

  async startContainer(id: string): Promise<void> {
    await this.ask("starting the container", { method: "POST", path: `/containers/${id}/start` }, (d) => d.getContainer(id).start());
  }

  async waitContainer(id: string, condition: "next-exit" | "removed"): Promise<Waiting> {
    const doing = "waiting for the container";
    const address = this.address;
    if (!address) {
      const docker = await this.dockerode();
      const exitCode = this.streamed(doing, async () => ((await docker.getContainer(id).wait({ condition })) as { StatusCode: number }).StatusCode);
      exitCode.catch(() => {});
      return { exitCode };
    }
    // The engine sends the head once the wait is registered, so a start sent after it cannot
    // end (and AutoRemove remove) the container before the wait sees it; the body comes at the exit.
    const connection = await this.streamed(doing, () => stream(address, { method: "POST", path: `/containers/${id}/wait${q({ condition })}` }, CALL_DEADLINE_MS));
    const exitCode = this.streamed(doing, async () => {
      const text = new TextDecoder().decode(await collect(connection.body));
      const result = JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
      if (result.Error?.Message) throw new Error(result.Error.Message);
      return result.StatusCode;
    });
    exitCode.catch(() => {});
    return { exitCode };
  }

  async inspectContainer(id: string): Promise<{ oomKilled: boolean } | undefined> {
    const info = await this.askOrMissing<{ State?: { OOMKilled?: boolean } }>(
      `inspecting container ${id}`,
      { method: "GET", path: `/containers/${id}/json` },
      (d) => d.getContainer(id).inspect(),
    );
    return info && { oomKilled: Boolean(info.State?.OOMKilled) };
  }

  async resizeContainer(id: string, size: { rows: number; columns: number }): Promise<void> {
    const path = `/containers/${id}/resize${q({ h: size.rows, w: size.columns })}`;
    await this.ask("resizing the terminal", { method: "POST", path }, (d) => d.getContainer(id).resize({ h: size.rows, w: size.columns })).catch(() => {});
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.ask(`removing container ${id.slice(0, 12)}`, { method: "DELETE", path: `/containers/${id}${q({ force: true })}` }, (d) =>
        d.getContainer(id).remove({ force: true }),
      );
    } catch (error) {
      // 409: removal already in progress (AutoRemove got there first).
      const cause = (error as Error).cause;
      if (isNotFound(cause) || statusOf(cause) === 409) return;
      throw error;
    }
  }

  listContainers(filter: { labels: string[] }): Promise<ContainerSummary[]> {
    const path = `/containers/json${q({ all: 1, filters: filtersOf({ label: filter.labels }) })}`;
    return this.ask<ContainerSummary[]>("listing containers", { method: "GET", path }, (d) => d.listContainers({ all: true, filters: { label: filter.labels } }));
  }
}

/** `promise`, or ETIMEDOUT (with `deadlineMs`) once `ms` have passed without its answer. */
function withDeadline<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silentEngine(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

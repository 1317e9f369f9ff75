// The one implementation of `Engine`, and the one place that chooses a transport per call:
// - read-only GETs over a plain socket (unix://, tcp:// without TLS) are a bare fetch: dockerode
//   costs ~100 ms to load in a compiled binary, more than the request (`dt ls`, `dt doctor`);
// - a build context over a plain socket is dt's own upload of lent chunks (upload.ts);
// - everything else, and every call to a TLS or ssh:// engine, goes through dockerode, loaded
//   on first use.
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
  EngineInfo,
  ImageInfo,
  ImageSummary,
  ProgressStream,
} from "./engine.ts";
import { engineBodyMessage, engineCall, engineError, isNotFound, statusOf } from "./engine-errors.ts";
import { plainEngineAddress, hostPort, type PlainEngineAddress } from "./engine-host.ts";

export class DockerEngine implements Engine {
  readonly socketPath: string | undefined;
  private readonly address: PlainEngineAddress | null;
  private client: Promise<Docker> | undefined;

  constructor(readonly host: string) {
    this.socketPath = host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
    this.address = plainEngineAddress({ ...process.env, DOCKER_HOST: host });
  }

  private dockerode(): Promise<Docker> {
    // The socket named, not left to docker-modem: its default looks in os.homedir(), which
    // throws without a home (HOME unset, a uid without a passwd entry), inside a promise that
    // nothing catches, so dt would hang.
    this.client ??= import("dockerode").then(({ default: Dockerode }) => new Dockerode(this.socketPath ? { socketPath: this.socketPath } : undefined));
    return this.client;
  }

  /**
   * One read-only GET, answered within `timeoutMs` (if given) or failed with ETIMEDOUT. Errors
   * are raw; callers map them with the words of what they were doing.
   */
  private async get<T>(path: string, timeoutMs: number | undefined, viaDockerode: (docker: Docker) => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline =
      timeoutMs === undefined
        ? new Promise<never>(() => {})
        : new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })), timeoutMs);
          });
    try {
      const address = this.address;
      if (!address) return await Promise.race([this.dockerode().then(viaDockerode), deadline]);
      const response = await Promise.race([
        "unix" in address ? fetch(`http://localhost${path}`, { unix: address.unix }) : fetch(`http://${hostPort(address)}${path}`),
        deadline,
      ]);
      const body = await Promise.race([response.text(), deadline]);
      if (!response.ok) throw Object.assign(new Error(engineBodyMessage(body)), { statusCode: response.status });
      return JSON.parse(body) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  async version(options: { timeoutMs?: number } = {}): Promise<EngineInfo> {
    try {
      const v = await this.get<Docker.DockerVersion>("/version", options.timeoutMs ?? 2000, (docker) => docker.version());
      return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch, host: this.host };
    } catch (cause) {
      throw engineError(cause, "asking for its version");
    }
  }

  async ping(): Promise<void> {
    await engineCall("pinging", async () => void (await (await this.dockerode()).ping()));
  }

  async events(filter: { since: number; until: number; container: string; events: string[] }): Promise<EngineEvent[]> {
    const docker = await this.dockerode();
    const stream = (await engineCall("reading events", () =>
      docker.getEvents({ since: filter.since, until: filter.until, filters: { container: [filter.container], event: filter.events } }),
    )) as unknown as AsyncIterable<Buffer>;
    let body = "";
    for await (const chunk of stream) body += chunk.toString();
    return body
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as EngineEvent);
  }

  async inspectImage(name: string): Promise<ImageInfo | undefined> {
    const docker = await this.dockerode();
    try {
      return (await docker.getImage(name).inspect()) as unknown as ImageInfo;
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw engineError(cause, `inspecting image ${name}`);
    }
  }

  async listImages(filter: { labels?: string[]; dangling?: boolean; timeoutMs?: number } = {}): Promise<ImageSummary[]> {
    const filters: Record<string, string[]> = {};
    if (filter.labels?.length) filters.label = filter.labels;
    if (filter.dangling) filters.dangling = ["true"];
    const query = Object.keys(filters).length ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : "";
    try {
      return await this.get<ImageSummary[]>(`/images/json${query}`, filter.timeoutMs, async (docker) => (await docker.listImages({ filters })) as unknown as ImageSummary[]);
    } catch (cause) {
      throw engineError(cause, "listing images");
    }
  }

  async tagImage(source: string, repository: string, tag: string): Promise<void> {
    const docker = await this.dockerode();
    await engineCall(`tagging ${repository}:${tag}`, () => docker.getImage(source).tag({ repo: repository, tag }));
  }

  async removeImage(id: string): Promise<void> {
    const docker = await this.dockerode();
    await engineCall(`removing image ${id}`, () => docker.getImage(id).remove());
  }

  async build(body: BuildBody, query: BuildQuery): Promise<ProgressStream> {
    const doing = `building ${String(query.t ?? "an image")}`;
    const address = this.address;
    if (!address) {
      const docker = await this.dockerode();
      return engineCall(doing, async () => (await docker.buildImage(body.stream(), query)) as unknown as ProgressStream);
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) params.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    const { postUpload } = await import("./upload.ts");
    const response = await engineCall(doing, () =>
      postUpload(address, { path: `/build?${params}`, contentType: "application/x-tar", length: body.length, body: body.lentChunks() }),
    );
    return response.body;
  }

  async push(repository: string, tag: string, auth: AuthConfig | undefined): Promise<ProgressStream> {
    const docker = await this.dockerode();
    const image = docker.getImage(`${repository}:${tag}`);
    return engineCall(`pushing ${repository}:${tag}`, async () => (await image.push({ tag, authconfig: auth })) as unknown as ProgressStream);
  }

  async pull(reference: string, options: { auth?: AuthConfig; platform?: string }): Promise<ProgressStream> {
    const docker = await this.dockerode();
    return engineCall(`pulling ${reference}`, async () =>
      (await docker.pull(reference, { authconfig: options.auth, ...(options.platform ? { platform: options.platform } : {}) })) as ProgressStream,
    );
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    const docker = await this.dockerode();
    const container = await engineCall(`creating a container from ${config.Image}`, () => docker.createContainer(config));
    return container.id;
  }

  async attachContainer(id: string, streams: AttachStreams): Promise<Attached> {
    const docker = await this.dockerode();
    const stream = await engineCall("attaching to the container", () =>
      docker.getContainer(id).attach({ stream: true, stdin: streams.stdin, stdout: true, stderr: true, hijack: true }),
    );
    const ended = new Promise<void>((resolve) => {
      if (streams.tty) stream.pipe(streams.stdout, { end: false });
      else docker.modem.demuxStream(stream, streams.stdout, streams.stderr);
      stream.on("end", () => resolve());
      stream.on("close", () => resolve());
      stream.on("error", () => resolve());
    });
    return { input: streams.stdin ? (stream as unknown as NonNullable<Attached["input"]>) : null, ended };
  }

  async startContainer(id: string): Promise<void> {
    const docker = await this.dockerode();
    await engineCall("starting the container", () => docker.getContainer(id).start());
  }

  async waitContainer(id: string, condition: "next-exit" | "removed"): Promise<number> {
    const docker = await this.dockerode();
    const result = (await engineCall("waiting for the container", () => docker.getContainer(id).wait({ condition }))) as { StatusCode: number };
    return result.StatusCode;
  }

  async inspectContainer(id: string): Promise<{ oomKilled: boolean } | undefined> {
    const docker = await this.dockerode();
    try {
      const info = await docker.getContainer(id).inspect();
      return { oomKilled: Boolean(info.State?.OOMKilled) };
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw engineError(cause, `inspecting container ${id}`);
    }
  }

  async resizeContainer(id: string, size: { rows: number; columns: number }): Promise<void> {
    const docker = await this.dockerode();
    await docker
      .getContainer(id)
      .resize({ h: size.rows, w: size.columns })
      .catch(() => {});
  }

  async removeContainer(id: string): Promise<void> {
    const docker = await this.dockerode();
    try {
      await docker.getContainer(id).remove({ force: true });
    } catch (cause) {
      // 409: removal already in progress (AutoRemove got there first).
      if (isNotFound(cause) || statusOf(cause) === 409) return;
      throw engineError(cause, `removing container ${id.slice(0, 12)}`);
    }
  }

  async listContainers(filter: { labels: string[] }): Promise<ContainerSummary[]> {
    const docker = await this.dockerode();
    return (await engineCall("listing containers", () =>
      docker.listContainers({ all: true, filters: { label: filter.labels } }),
    )) as unknown as ContainerSummary[];
  }
}

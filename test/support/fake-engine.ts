// An in-memory stand-in for the Docker engine, so the orchestration modules (build, run, test,
// release, pull and push) run in-process in unit tests. It is a fake: it keeps state (images,
// tags, containers, events) and answers as the engine would, so a test asserts outcomes and
// the calls made, not a script of expected calls. Real engine behaviour stays the e2e tests' job.
// Where it must choose, it follows the engine: a forced removal of a running container is a
// kill (exit 137, a "kill" event), an OOM kill is an "oom" event, failures arrive as error lines
// inside a progress stream, and a call it refuses fails through engine-errors.ts like the real one.
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import type { Attached, AttachStreams, AuthConfig, BuildBody, BuildQuery, ContainerConfig, ContainerSummary } from "../../src/core/engine/engine.ts";
import type { Engine, EngineEvent, EngineInfo, EventFilter, ImageInfo, ImageSummary, ProgressStream, Waiting } from "../../src/core/engine/engine.ts";
import { engineError } from "../../src/core/engine/engine-errors.ts";

/** What a container does once started. The default: exits 0 with no output. */
export interface Behaviour {
  exitCode?: number;
  stdout?: string[];
  stderr?: string[];
  /** Runs until removed (a `sleep infinity`). */
  hang?: boolean;
  /** Killed by the kernel for its memory limit: exit 137, OOMKilled. */
  oom?: boolean;
  /** The engine shuts down while it runs: SIGTERM to it (exit 143, a "kill" event), then no answers. */
  engineStops?: boolean;
  /** The engine shuts down while it runs and closes the wait's connection before it says the container ended (ECONNRESET). */
  engineDropsWait?: boolean;
  /** The engine refuses to start it, with this message (as a refused privileged container). */
  refuseStart?: string;
}

/** Every image is linux/HOST unless built or added for another architecture. */
export interface FakeImage {
  Id: string;
  tags: Set<string>;
  labels: Record<string, string>;
  Architecture: string;
  RepoDigests: string[];
  onBuild?: string[];
}

export interface FakeContainer {
  id: string;
  config: ContainerConfig;
  behaviour: Behaviour;
  state: "created" | "running" | "exited" | "removed";
  exitCode: number;
  oomKilled: boolean;
  streams?: AttachStreams;
  waiters: { condition: "next-exit" | "removed"; resolve: (code: number) => void; reject: (error: unknown) => void }[];
  /** Settles when its output has ended: at its exit. */
  output: PromiseWithResolvers<void>;
}

const HOST_ARCH = process.arch === "x64" ? "amd64" : process.arch;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const line = (obj: object) => `${JSON.stringify(obj)}\n`;
/** `reg:5000/team/app:dev` -> [`reg:5000/team/app`, `dev`]: the tag is after the last slash's colon. */
const splitRef = (ref: string): [string, string] => {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
};
/** The error the engine's HTTP API gives for `status`, mapped as the real client maps it. */
const refused = (status: number, message: string, doing: string) => engineError(Object.assign(new Error(message), { statusCode: status }), doing);

/** `k=v` filters match that value, a bare `k` any value, as the engine's label filters do. */
const hasLabels = (labels: Record<string, string>, wanted: readonly string[] = []) =>
  wanted.every((w) => {
    const [key, value] = w.split(/=(.*)/s) as [string, string | undefined];
    return value === undefined ? key in labels : labels[key] === value;
  });

async function* lines(texts: string[]): ProgressStream {
  for (const text of texts) yield text;
}

/** A push or pull of one layer, as the engine reports it. */
const transfer = (head: string, layer: string, [begin, moving, done]: string[], tail: object[]) =>
  lines([
    head,
    line({ status: begin, progressDetail: {}, id: layer }),
    line({ status: moving, progressDetail: { current: 512, total: 1024 }, id: layer }),
    line({ status: done, progressDetail: {}, id: layer }),
    ...tail.map(line),
  ]);

export class FakeEngine implements Engine {
  readonly host: string;
  /** The engine's own architecture (`/version`), and that of what it builds without a platform. */
  readonly arch: string;
  // No socket to mount: --sibling runs skip the bind, and nothing stats a host path.
  readonly socketPath = undefined;

  readonly images = new Map<string, FakeImage>();
  readonly containers = new Map<string, FakeContainer>();
  /** Every Engine call in order, with its arguments. */
  readonly calls: { method: keyof Engine; args: unknown[] }[] = [];
  /** Each build's query and the bytes read from its context. */
  readonly builds: { query: BuildQuery; bytes: number; length: number }[] = [];
  /** What pulls find in "the registry", by full reference; a push adds to it. */
  readonly remote = new Map<string, { Id: string; labels?: Record<string, string> }>();
  /** Set to make the next builds fail at a step, as a RUN that exits non-zero does. */
  buildFailure: { step: number; message: string; output?: string[] } | undefined;
  /** The ONBUILD triggers that every image the fake builds from here on declares. */
  onBuildTriggers: string[] | undefined;
  /** Set to end push or pull streams with this error line. */
  pushError: string | undefined;
  pullError: string | undefined;

  private readonly scripts: { image?: string; command?: string; behaviour: Behaviour }[] = [];
  private readonly eventLog: (EngineEvent & { time: number })[] = [];
  private down = false;
  private seq = 0;
  /** Seconds added to the fake engine's clock (advance()). */
  private clockOffset = 0;

  /** A second fake is another engine: a builder of dt.yaml at `host`, of `arch`. */
  constructor(options: { host?: string; arch?: string } = {}) {
    this.host = options.host ?? "unix:///fake/docker.sock";
    this.arch = options.arch ?? HOST_ARCH;
  }

  /** Moves the engine's clock (its events' times, imageState's time) `seconds` ahead. */
  advance(seconds: number): void {
    this.clockOffset += seconds;
  }

  private now(): number {
    return Date.now() / 1000 + this.clockOffset;
  }

  /** From now on every call fails as an engine that went away does. */
  stop(): void {
    this.down = true;
  }

  /** Containers of `image` (exact name) or whose command contains `command` behave so; the latest match wins. */
  onRun(match: { image?: string; command?: string }, behaviour: Behaviour): void {
    this.scripts.push({ ...match, behaviour });
  }

  /** An image as if built or pulled earlier. */
  addImage(seed: { tags?: string[]; labels?: Record<string, string>; arch?: string; id?: string }): FakeImage {
    const image: FakeImage = {
      Id: seed.id ?? `sha256:${sha(`image-${++this.seq}`)}`,
      tags: new Set(),
      labels: { ...seed.labels },
      Architecture: seed.arch ?? this.arch,
      RepoDigests: [],
    };
    this.images.set(image.Id, image);
    this.log("create", image.Id, "image");
    for (const t of seed.tags ?? []) this.retag(image, t);
    return image;
  }

  /** The image a name, tag or (short) id points at; not recorded as a call. */
  image(name: string): FakeImage | undefined {
    for (const image of this.images.values()) {
      if (image.Id === name || image.tags.has(name) || (name.length >= 12 && image.Id.startsWith(`sha256:${name}`))) return image;
    }
    return undefined;
  }

  callsTo(method: keyof Engine): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private record(method: keyof Engine, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.down) throw engineError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), `calling ${method}`);
  }

  /** A tag names one image: giving it to another takes it from the first (which may end up dangling). */
  private retag(image: FakeImage, tag: string): void {
    for (const other of this.images.values()) if (other.tags.delete(tag)) this.log("untag", other.Id, "image");
    image.tags.add(tag);
    this.log("tag", image.Id, "image");
  }

  async version(): Promise<EngineInfo> {
    this.record("version");
    return { version: "fake", apiVersion: "1.45", os: "linux", arch: this.arch, host: this.host };
  }

  async imageState(): Promise<{ images: number; time: number }> {
    this.record("imageState");
    return { images: this.images.size, time: this.now() };
  }

  async ping(): Promise<void> {
    this.record("ping");
  }

  async events(filter: EventFilter): Promise<EngineEvent[]> {
    this.record("events", filter);
    return this.eventLog
      .filter(
        (e) =>
          (filter.container === undefined || e.id === filter.container) &&
          (filter.type === undefined || e.Type === filter.type) &&
          (filter.events === undefined || filter.events.includes(e.Action!)) &&
          e.time >= filter.since &&
          e.time <= filter.until,
      )
      .map(({ time: _, ...e }) => e);
  }

  async inspectImage(name: string): Promise<ImageInfo | undefined> {
    this.record("inspectImage", name);
    const image = this.image(name);
    if (!image) return undefined;
    const { Id, Architecture, RepoDigests, labels, onBuild } = image;
    return { Id, Os: "linux", Architecture, RepoDigests, RepoTags: [...image.tags], Created: new Date().toISOString(), Size: 1, Config: { Labels: labels, OnBuild: onBuild ?? null } };
  }

  async listImages(filter: { labels?: string[]; dangling?: boolean } = {}): Promise<ImageSummary[]> {
    this.record("listImages", filter);
    return [...this.images.values()]
      .filter((i) => hasLabels(i.labels, filter.labels) && (!filter.dangling || i.tags.size === 0))
      .map((i) => ({ Id: i.Id, RepoTags: [...i.tags], Labels: i.labels, Created: 0 }));
  }

  async tagImage(source: string, repository: string, tag: string): Promise<void> {
    this.record("tagImage", source, repository, tag);
    const image = this.image(source);
    if (!image) throw refused(404, `No such image: ${source}`, `tagging ${repository}:${tag}`);
    this.retag(image, `${repository}:${tag}`);
  }

  async removeImage(id: string): Promise<void> {
    this.record("removeImage", id);
    const image = this.image(id);
    if (!image) throw refused(404, `No such image: ${id}`, `removing image ${id}`);
    this.images.delete(image.Id);
    this.log("delete", image.Id, "image");
  }

  async build(body: BuildBody, query: BuildQuery): Promise<ProgressStream> {
    this.record("build", body, query);
    // The engine reads the whole context before its first step; each lent chunk is only
    // valid until the next is asked for, so it is counted, never kept.
    let bytes = 0;
    for (const chunk of body.lentChunks()) bytes += chunk.byteLength;
    this.builds.push({ query, bytes, length: body.length });
    const args = (query.buildargs ?? {}) as Record<string, string>;
    const steps = [`FROM ${args.DEV_IMAGE ?? args.BASE_IMAGE ?? "scratch"}`, "COPY . /tmp/context", "RUN /tmp/context/devops/docker_build/install.sh"];
    const out: string[] = [];
    for (const [i, step] of steps.entries()) {
      out.push(line({ stream: `Step ${i + 1}/${steps.length} : ${step}\n` }), line({ stream: ` ---> ${sha(step).slice(0, 12)}\n` }));
      const failure = this.buildFailure;
      if (failure?.step === i + 1) {
        for (const text of failure.output ?? []) out.push(line({ stream: `${text}\n` }));
        out.push(line({ errorDetail: { code: 1, message: failure.message }, error: failure.message }));
        return lines(out);
      }
    }
    return this.finishBuild(out, query);
  }

  // The image exists once the stream says so: a reader that stops early gets none.
  private async *finishBuild(out: string[], query: BuildQuery): ProgressStream {
    yield* out;
    const image = this.addImage({ labels: query.labels as Record<string, string>, arch: String(query.platform ?? "").split("/")[1] || undefined });
    if (this.onBuildTriggers) image.onBuild = [...this.onBuildTriggers];
    if (typeof query.t === "string") this.retag(image, query.t);
    yield line({ aux: { ID: image.Id } });
    yield line({ stream: `Successfully built ${image.Id.slice(7, 19)}\n` });
    if (typeof query.t === "string") yield line({ stream: `Successfully tagged ${query.t}\n` });
  }

  async labelImage(image: string, labels: Readonly<Record<string, string>>, query: BuildQuery): Promise<ProgressStream> {
    this.record("labelImage", image, labels, query);
    const from = this.image(image);
    if (!from) return lines([line({ errorDetail: { message: `No such image: ${image}` }, error: `No such image: ${image}` })]);
    const out = [line({ stream: `Step 1/2 : FROM ${image}\n` }), line({ stream: "Step 2/2 : LABEL ...\n" })];
    return this.finishBuild(out, { ...query, labels: { ...from.labels, ...labels }, ...(query.platform ? {} : { platform: `linux/${from.Architecture}` }) });
  }

  async push(repository: string, tag: string, auth: AuthConfig | undefined): Promise<ProgressStream> {
    this.record("push", repository, tag, auth);
    const image = this.image(`${repository}:${tag}`);
    if (!image) throw refused(404, `No such image: ${repository}:${tag}`, `pushing ${repository}:${tag}`);
    const head = line({ status: `The push refers to repository [${repository}]` });
    if (this.pushError) return lines([head, line({ errorDetail: { message: this.pushError }, error: this.pushError })]);
    const digest = `sha256:${sha(image.Id)}`;
    image.RepoDigests.push(`${repository}@${digest}`);
    this.remote.set(`${repository}:${tag}`, { Id: image.Id, labels: image.labels });
    return transfer(head, image.Id.slice(7, 19), ["Preparing", "Pushing", "Pushed"], [
      { status: `${tag}: digest: ${digest} size: 528` },
      { progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: 528 } },
    ]);
  }

  async pull(reference: string, options: { auth?: AuthConfig; platform?: string }): Promise<ProgressStream> {
    this.record("pull", reference, options);
    const [repository, tag] = splitRef(reference);
    const head = line({ status: `Pulling from ${repository.split("/").slice(1).join("/")}`, id: tag });
    const found = this.remote.get(reference);
    const error = this.pullError ?? (found ? undefined : `manifest for ${reference} not found: manifest unknown: manifest unknown`);
    if (error) return lines([head, line({ errorDetail: { message: error }, error })]);
    const image = this.image(found!.Id) ?? this.addImage({ id: found!.Id, labels: found!.labels });
    this.retag(image, reference);
    const digest = `sha256:${sha(image.Id)}`;
    if (!image.RepoDigests.includes(`${repository}@${digest}`)) image.RepoDigests.push(`${repository}@${digest}`);
    return transfer(head, image.Id.slice(7, 19), ["Pulling fs layer", "Downloading", "Pull complete"], [
      { status: `Digest: ${digest}` },
      { status: `Status: Downloaded newer image for ${reference}` },
    ]);
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    this.record("createContainer", config);
    if (!this.image(config.Image)) throw refused(404, `No such image: ${config.Image}`, `creating a container from ${config.Image}`);
    const command = (config.Cmd ?? []).join(" ");
    const script = this.scripts.findLast((s) => (s.image === undefined || s.image === config.Image) && (s.command === undefined || command.includes(s.command)));
    const id = sha(`container-${++this.seq}`);
    const c: FakeContainer = { id, config, behaviour: script?.behaviour ?? {}, state: "created", exitCode: 0, oomKilled: false, waiters: [], output: Promise.withResolvers() };
    this.containers.set(id, c);
    return id;
  }

  async attachContainer(id: string, streams: AttachStreams): Promise<Attached> {
    this.record("attachContainer", id, streams);
    const c = this.container(id, "attaching to the container");
    c.streams = streams;
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    return { input: streams.stdin ? sink : null, ended: c.output.promise };
  }

  async startContainer(id: string): Promise<void> {
    this.record("startContainer", id);
    const c = this.container(id, "starting the container");
    const b = c.behaviour;
    if (b.refuseStart) throw refused(500, b.refuseStart, "starting the container");
    c.state = "running";
    // The process runs after start returns, as a real one does.
    setTimeout(() => {
      const { stdout, stderr, tty } = c.streams ?? {};
      for (const text of b.stdout ?? []) stdout?.write(Buffer.from(`${text}\n`));
      for (const text of b.stderr ?? []) (tty ? stdout : stderr)?.write(Buffer.from(`${text}\n`));
      if (b.hang) return;
      if (b.oom) {
        this.log("oom", id);
        return this.exit(c, 137, true);
      }
      if (b.engineDropsWait) {
        this.down = true;
        for (const w of c.waiters.splice(0)) w.reject(engineError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), "waiting for the container"));
        return;
      }
      if (b.engineStops) {
        this.log("kill", id);
        // It answers every wait, before AutoRemove gets a turn, and stops answering at all a
        // moment later (a real one takes about a second).
        this.exit(c, 143, false, false);
        for (const w of c.waiters.splice(0)) w.resolve(143);
        setTimeout(() => (this.down = true), 20);
        return;
      }
      this.exit(c, b.exitCode ?? 0, false);
    }, 0);
  }

  async waitContainer(id: string, condition: "next-exit" | "removed"): Promise<Waiting> {
    this.record("waitContainer", id, condition);
    const c = this.container(id, "waiting for the container");
    if (c.state === "removed" || (condition === "next-exit" && c.state === "exited")) return { exitCode: Promise.resolve(c.exitCode) };
    return { exitCode: new Promise((resolve, reject) => c.waiters.push({ condition, resolve, reject })) };
  }

  async inspectContainer(id: string): Promise<{ oomKilled: boolean } | undefined> {
    this.record("inspectContainer", id);
    const c = this.find(id);
    return c && c.state !== "removed" ? { oomKilled: c.oomKilled } : undefined;
  }

  async resizeContainer(id: string, size: { rows: number; columns: number }): Promise<void> {
    this.record("resizeContainer", id, size);
  }

  async removeContainer(id: string): Promise<void> {
    this.record("removeContainer", id);
    const c = this.find(id);
    if (!c || c.state === "removed") return;
    if (c.state === "running") {
      // `rm -f` kills first, and the engine logs that kill like any other.
      this.log("kill", c.id);
      this.exit(c, 137, false);
    }
    this.remove(c);
  }

  async listContainers(filter: { labels: string[] }): Promise<ContainerSummary[]> {
    this.record("listContainers", filter);
    return [...this.containers.values()]
      .filter((c) => c.state !== "removed" && hasLabels(c.config.Labels, filter.labels))
      .map((c) => ({ Id: c.id, Names: [`/${c.config.name}`], Image: c.config.Image, State: c.state, Status: c.state, Labels: c.config.Labels, Created: 0 }));
  }

  /** As the engine does, a unique prefix of an id (the 12 characters dt shows) names the container. */
  private find(id: string): FakeContainer | undefined {
    const found = [...this.containers.values()].filter((c) => c.id.startsWith(id));
    return found.length === 1 ? found[0] : undefined;
  }

  private container(id: string, doing: string): FakeContainer {
    const c = this.find(id);
    if (!c || c.state === "removed") throw refused(404, `No such container: ${id}`, doing);
    return c;
  }

  private log(action: string, id: string, type: "container" | "image" = "container"): void {
    this.eventLog.push({ Type: type, Action: action, id, time: this.now() });
  }

  private exit(c: FakeContainer, code: number, oomKilled: boolean, autoRemove = c.config.HostConfig.AutoRemove): void {
    c.state = "exited";
    c.exitCode = code;
    c.oomKilled = oomKilled;
    c.output.resolve();
    for (const w of c.waiters.filter((w) => w.condition === "next-exit")) w.resolve(code);
    c.waiters = c.waiters.filter((w) => w.condition === "removed");
    if (autoRemove) this.remove(c);
  }

  private remove(c: FakeContainer): void {
    c.state = "removed";
    c.output.resolve();
    for (const w of c.waiters.splice(0)) w.resolve(c.exitCode);
  }
}

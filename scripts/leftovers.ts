// The suite's last check: what its tests left on the engine.
//
//   bun scripts/leftovers.ts RUN_DIR
//
// scripts/test.sh runs the tests with TMPDIR inside RUN_DIR, so every workspace they make lies
// below it, and dt labels each container it starts with its workspace (dev.dt.workspace). A
// container, network or volume whose dev.dt.workspace is below RUN_DIR, or a container that
// bind-mounts a path below RUN_DIR (one a test made itself), belongs to this run; anything else
// on the engine (another run's, a developer's) is none of its business. Each leftover is
// printed (id, name, labels, workspace) and removed, so the next run starts clean. The last
// line counts one check per kind, `leftovers: N passed, N failed`, for test.sh's closing line.
import Docker from "dockerode";

const WORKSPACE = "dev.dt.workspace";

interface Leftover {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** The workspace (or mounted path) below the run dir that ties it to this run. */
  path: string;
  remove(): Promise<unknown>;
}

interface Kind {
  name: string;
  list(): Promise<Leftover[]>;
}

function below(dir: string, path: string | undefined): boolean {
  return path !== undefined && (path === dir || path.startsWith(`${dir}/`));
}

function kinds(docker: Docker, runDir: string): Kind[] {
  return [
    {
      name: "containers",
      async list() {
        const all = await docker.listContainers({ all: true });
        return all.flatMap((c) => {
          const labels = c.Labels ?? {};
          const mount = (c.Mounts ?? []).find((m) => below(runDir, m.Source))?.Source;
          const path = below(runDir, labels[WORKSPACE]) ? labels[WORKSPACE]! : mount;
          if (path === undefined) return [];
          const remove = () => docker.getContainer(c.Id).remove({ force: true, v: true });
          return [{ id: c.Id.slice(0, 12), name: (c.Names?.[0] ?? "").replace(/^\//, ""), labels, path, remove }];
        });
      },
    },
    {
      name: "networks",
      async list() {
        const all = await docker.listNetworks({ filters: { label: [WORKSPACE] } });
        return all.flatMap((n) => {
          const labels = n.Labels ?? {};
          if (!below(runDir, labels[WORKSPACE])) return [];
          return [{ id: n.Id.slice(0, 12), name: n.Name, labels, path: labels[WORKSPACE]!, remove: () => docker.getNetwork(n.Id).remove() }];
        });
      },
    },
    {
      name: "volumes",
      async list() {
        const all = (await docker.listVolumes({ filters: { label: [WORKSPACE] } })).Volumes ?? [];
        return all.flatMap((v) => {
          const labels = v.Labels ?? {};
          if (!below(runDir, labels[WORKSPACE])) return [];
          return [{ id: v.Name.slice(0, 12), name: v.Name, labels, path: labels[WORKSPACE]!, remove: () => docker.getVolume(v.Name).remove({ force: true }) }];
        });
      },
    },
  ];
}

function describe(kind: string, l: Leftover): string {
  // dt's own labels; an image's labels (OCI title, version...) come along on its containers.
  const entries = Object.entries(l.labels);
  const ours = entries.filter(([k]) => k.startsWith("dev.dt.")).map(([k, v]) => `${k}=${v}`);
  const others = entries.length - ours.length;
  const labels = [...ours, ...(others > 0 ? [`(+${others} other labels)`] : [])].join(", ");
  return `leftovers: ${kind.replace(/s$/, "")} ${l.id} name=${l.name} workspace=${l.path} labels: ${labels || "(none)"}`;
}

async function main(): Promise<number> {
  const runDir = Bun.argv[2];
  if (!runDir) {
    console.error("usage: bun scripts/leftovers.ts RUN_DIR");
    return 2;
  }
  const docker = new Docker();
  let passed = 0;
  let failed = 0;
  for (const kind of kinds(docker, runDir.replace(/\/+$/, ""))) {
    let found: Leftover[];
    try {
      found = await kind.list();
    } catch (e) {
      console.log(`leftovers: could not list ${kind.name}: ${(e as Error).message}`);
      failed++;
      continue;
    }
    if (found.length === 0) {
      passed++;
      continue;
    }
    failed++;
    console.log(`leftovers: ${found.length} ${kind.name} left by the tests (each removed now):`);
    for (const l of found) {
      console.log(describe(kind.name, l));
      await l.remove().catch((e: Error) => console.log(`leftovers:   could not remove ${l.id}: ${e.message}`));
    }
  }
  console.log(`leftovers: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();

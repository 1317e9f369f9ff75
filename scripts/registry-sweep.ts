// The suite's registry cleanup: tests push to the loopback registries of the test bed under
// names unique to each run; what they pushed must not outlive the run, passed or failed.
//
//   bun scripts/registry-sweep.ts snapshot FILE    before the tests: every repository's tags
//   bun scripts/registry-sweep.ts sweep FILE       after: deletes each tag not in FILE
//
// The registries come from the bed's environment (DT_TEST_REGISTRY, DT_TEST_AUTH_REGISTRY with
// DT_TEST_AUTH_USER/PASSWORD) and have deletes enabled (scripts/testbed.sh). A run beside this
// one on the same bed would lose its tags to this sweep: CI runs one suite at a time.
import { readFileSync, writeFileSync } from "node:fs";

const ACCEPT = [
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

interface Registry {
  host: string;
  headers: Record<string, string>;
}

function registries(): Registry[] {
  const out: Registry[] = [];
  if (process.env.DT_TEST_REGISTRY) out.push({ host: process.env.DT_TEST_REGISTRY, headers: {} });
  if (process.env.DT_TEST_AUTH_REGISTRY) {
    const basic = Buffer.from(`${process.env.DT_TEST_AUTH_USER}:${process.env.DT_TEST_AUTH_PASSWORD}`).toString("base64");
    out.push({ host: process.env.DT_TEST_AUTH_REGISTRY, headers: { Authorization: `Basic ${basic}` } });
  }
  return out;
}

async function get<T>(r: Registry, path: string): Promise<{ body: T; next: string | null }> {
  const res = await fetch(`http://${r.host}${path}`, { headers: r.headers, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${r.host}${path}: HTTP ${res.status}`);
  // Pages: `Link: </v2/_catalog?last=x&n=1000>; rel="next"`.
  const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1] ?? null;
  return { body: (await res.json()) as T, next };
}

/** Every repository of a registry, page by page (Distribution caps a page at 1,000). */
async function catalog(r: Registry): Promise<string[]> {
  const out: string[] = [];
  for (let path: string | null = "/v2/_catalog?n=1000"; path; ) {
    const page: { body: { repositories: string[] | null }; next: string | null } = await get(r, path);
    out.push(...(page.body.repositories ?? []));
    path = page.next;
  }
  return out;
}

/** `host/repository` -> its tags. */
async function tagsOf(r: Registry): Promise<Record<string, string[]>> {
  const repositories = await catalog(r);
  const out: Record<string, string[]> = {};
  for (const repo of repositories ?? []) {
    const { tags } = (await get<{ tags: string[] | null }>(r, `/v2/${repo}/tags/list`)).body;
    if (tags?.length) out[`${r.host}/${repo}`] = tags;
  }
  return out;
}

async function remove(r: Registry, repo: string, tag: string): Promise<void> {
  const head = await fetch(`http://${r.host}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers: { ...r.headers, Accept: ACCEPT }, signal: AbortSignal.timeout(10_000) });
  const digest = head.headers.get("docker-content-digest");
  if (!head.ok || !digest) return;
  const del = await fetch(`http://${r.host}/v2/${repo}/manifests/${digest}`, { method: "DELETE", headers: r.headers, signal: AbortSignal.timeout(10_000) });
  if (!del.ok && del.status !== 404) throw new Error(`DELETE ${r.host}/${repo}@${digest}: HTTP ${del.status}`);
}

async function main(): Promise<number> {
  const [mode, file] = [Bun.argv[2], Bun.argv[3]];
  if ((mode !== "snapshot" && mode !== "sweep") || !file) {
    console.error("usage: bun scripts/registry-sweep.ts snapshot|sweep FILE");
    return 2;
  }
  if (mode === "snapshot") {
    const all: Record<string, string[]> = {};
    for (const r of registries()) Object.assign(all, await tagsOf(r));
    writeFileSync(file, JSON.stringify(all));
    return 0;
  }
  const before = JSON.parse(readFileSync(file, "utf8")) as Record<string, string[]>;
  let removed = 0;
  const repos = new Set<string>();
  for (const r of registries()) {
    for (const [name, tags] of Object.entries(await tagsOf(r))) {
      const kept = new Set(before[name] ?? []);
      const repo = name.slice(r.host.length + 1);
      for (const tag of tags.filter((t) => !kept.has(t))) {
        await remove(r, repo, tag);
        removed++;
        repos.add(name);
      }
    }
  }
  console.log(`registry: removed ${removed} tag${removed === 1 ? "" : "s"} the tests pushed, in ${repos.size} repositor${repos.size === 1 ? "y" : "ies"}`);
  return 0;
}

process.exitCode = await main();

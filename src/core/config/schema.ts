import { PLATFORM } from "../base/platform.ts";

/**
 * The shape of dt.yaml, as data: validation (config.ts), defaults and the JSON schema for
 * editors all come from this one description.
 */
export type Schema =
  | { kind: "string"; description?: string; enum?: readonly string[]; pattern?: RegExp; expected?: string; hint?: string }
  | { kind: "boolean"; description?: string }
  | { kind: "number"; description?: string; min?: number }
  | { kind: "list"; description?: string; item: Schema }
  | { kind: "map"; description?: string; key?: { pattern: RegExp; expected: string }; value: Schema }
  | { kind: "object"; description?: string; fields: Record<string, Schema> }
  | { kind: "either"; description?: string; options: readonly Schema[]; expected: string };

const str = (description: string, extra: Partial<Extract<Schema, { kind: "string" }>> = {}): Schema => ({
  kind: "string",
  description,
  ...extra,
});
const strList = (description: string, item: Schema = { kind: "string" }): Schema => ({ kind: "list", description, item });

const IMAGE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const platform = str("os/arch, e.g. linux/amd64", { pattern: PLATFORM, expected: "a platform like linux/amd64" });

/**
 * A registry prefix as image references have it: a host (a DNS name, an IPv4 address or an IPv6
 * one in brackets), an optional port, then lowercase path components (a trailing `/` is
 * dropped where names are made). No scheme: `http://x` used to reach the engine as "invalid
 * reference format: unexpected -".
 */
export const REGISTRY_PREFIX =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\/*$/;
const registryPrefix = (description: string) =>
  str(description, {
    pattern: REGISTRY_PREFIX,
    expected: "a registry prefix like ghcr.io/acme or 127.0.0.1:5000/team",
    hint: "write the host, an optional :port and a lowercase path, without a scheme: dt talks HTTPS to every registry except localhost and 127.0.0.0/8",
  });

export const SUITE_SCHEMA: Schema = {
  kind: "object",
  fields: {
    marker: str("pytest marker expression selecting the suite's tests"),
    timeout: { kind: "number", min: 0, description: "per-test timeout in seconds" },
  },
};

export const SYNC_MODES = ["copy", "link"] as const;

export const TEST_CACHE_MODES = ["local", "registry", "off"] as const;
export type TestCacheMode = (typeof TEST_CACHE_MODES)[number];

/** A `sync.files` entry written as a mapping; `to` defaults to `[from]`, `mode` to copy. */
export interface SyncFileSpec {
  from?: string;
  to?: string | string[];
  mode?: (typeof SYNC_MODES)[number];
}

/** One `sync.files` entry: a path copied to the same path, or a source mapped to destinations. */
const SYNC_FILE: Schema = {
  kind: "either",
  expected: "a file path, or a mapping with from, to and mode",
  options: [
    str("a file of the source sub-repo, copied to the same path here"),
    {
      kind: "object",
      description: "one file of the source sub-repo taken to one or more paths here",
      fields: {
        from: str("the file's path in the source sub-repo (required)"),
        to: {
          kind: "either",
          description:
            "destinations relative to the repo root (default: the same path as from); '*' in a directory segment matches one existing directory, '**' any number of them",
          options: [{ kind: "string" }, { kind: "list", item: { kind: "string" } }],
          expected: "a path or a list of paths",
        },
        mode: str("copy (default): a copy of the file; link: a relative symlink to it, managed by dt", { enum: SYNC_MODES }),
      },
    },
  ],
};

export const DT_YAML_SCHEMA = {
  kind: "object",
  fields: {
    name: str("short name of the repo (default: root dir name)", { pattern: IMAGE_NAME, expected: "a lowercase name like cmamp" }),
    image: str("image base name (default: name; per runnable dir: dir name)", {
      pattern: IMAGE_NAME,
      expected: "a lowercase image name like cmamp or team/cmamp",
    }),
    registry: registryPrefix("default registry prefix (env DT_REGISTRY overrides)"),
    registries: { kind: "map", description: "named registries for push/release (--registry NAME)", value: registryPrefix("registry prefix") },
    platforms: strList("platforms for multi-arch builds and releases", platform),
    builders: {
      kind: "map",
      description: "a native engine per platform (DOCKER_HOST syntax)",
      key: { pattern: PLATFORM, expected: "a platform like linux/arm64" },
      value: str("DOCKER_HOST of the builder", {
        pattern: /^(unix:\/\/\/.+|tcp:\/\/[^/]+\/?|ssh:\/\/[^/]+\/?)$/,
        expected: "an engine address like ssh://user@host, tcp://host:2376 or unix:///var/run/docker.sock",
      }),
    },
    base_image: str("FROM of the embedded dev template"),
    version_policy: str("code vs container version match", { enum: ["exact", "minor", "major"] }),
    docker: {
      kind: "object",
      fields: {
        mount: str("where the workspace is mounted: same-path or an absolute path", {
          pattern: /^(same-path|\/.*)$/,
          expected: "same-path or an absolute path like /app",
        }),
        sibling: { kind: "boolean", description: "mount the engine socket so the container can start siblings" },
        dind: { kind: "boolean", description: "privileged container running its own engine" },
        env: strList("host variables passed through (globs allowed)"),
        volumes: strList("extra volumes, HOST:CONTAINER[:ro]"),
        build_args: {
          kind: "map",
          description: "ARGs passed to every build of the dir's Dockerfiles; values may use ${VERSION}, ${STAGE} and ${IMAGE}",
          key: { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, expected: "an ARG name like POETRY_MODE" },
          value: {
            kind: "either",
            options: [{ kind: "string" }, { kind: "number" }, { kind: "boolean" }],
            expected: "a string, number or boolean",
          },
        },
        trusted_subrepos: strList(
          "root dt.yaml only: sub-repos whose runnable dirs' dt.yaml may widen what a container reaches (sibling, dind, volumes, env); '*' for all",
        ),
        memory: str("memory limit of dt's containers, e.g. 2g or 512m (default: none)", {
          pattern: /^\d+(\.\d+)?[kmgKMG]?[bB]?$/,
          expected: "a size like 512m or 2g",
        }),
      },
    },
    test: {
      kind: "object",
      fields: {
        suites: { kind: "map", description: "test suites by name", value: SUITE_SCHEMA },
        depends_on: strList("paths whose changes affect every runnable dir (--changed)"),
        cache: str("test-result cache: local (default, under .dt/cache/), registry (also shared through registry:), off", {
          enum: TEST_CACHE_MODES,
        }),
        cache_size: str("most the local test-result cache keeps, e.g. 100MB or 1GB (default 100MB)", {
          pattern: /^\d+(\.\d+)?[kmgKMG]?[bB]?$/,
          expected: "a size like 100MB or 1GB",
        }),
      },
    },
    setenv: {
      kind: "object",
      fields: {
        path: strList("dirs put on PATH (relative to each repo root; globs: * within a name, ** any depth)"),
        pythonpath: strList("dirs put on PYTHONPATH (relative to each repo root; globs as for path); the target dir comes first"),
      },
    },
    sync: {
      kind: "object",
      fields: {
        from: str("sub-repo that is the source of common files"),
        files: strList("files taken from the source sub-repo: a path (copied to the same path here) or {from, to, mode}", SYNC_FILE),
      },
    },
    tasks: {
      kind: "map",
      description: "dt run NAME",
      value: {
        kind: "either",
        options: [{ kind: "string" }, { kind: "list", item: { kind: "string" } }],
        expected: "a command string or a list of command strings",
      },
    },
  },
} as const satisfies Schema;

export interface Suite {
  marker: string;
  timeout: number;
}

export interface DtConfig {
  name: string;
  image: string;
  registry: string | null;
  registries: Record<string, string>;
  platforms: string[];
  builders: Record<string, string>;
  base_image: string;
  version_policy: "exact" | "minor" | "major";
  docker: {
    mount: string;
    sibling: boolean;
    dind: boolean;
    env: string[];
    volumes: string[];
    build_args: Record<string, string | number | boolean>;
    trusted_subrepos: string[];
    memory: string | null;
  };
  test: { suites: Record<string, Suite>; depends_on: string[]; cache: TestCacheMode; cache_size: string };
  setenv: { path: string[]; pythonpath: string[] };
  sync: { from: string | null; files: (string | SyncFileSpec)[] };
  tasks: Record<string, string | string[]>;
}

export const DEFAULT_SUITES: Record<string, Suite> = {
  fast: { marker: "not slow and not superslow", timeout: 5 },
  slow: { marker: "slow and not superslow", timeout: 30 },
  superslow: { marker: "superslow", timeout: 3600 },
};

/** Defaults of the SPEC; `name` and `image` depend on the workspace and are filled in by config.ts. */
export function defaults(): Omit<DtConfig, "name" | "image"> {
  return {
    registry: null,
    registries: {},
    platforms: [],
    builders: {},
    base_image: "python:3.12-slim",
    version_policy: "minor",
    docker: { mount: "same-path", sibling: false, dind: false, env: [], volumes: [], build_args: {}, trusted_subrepos: [], memory: null },
    test: { suites: structuredClone(DEFAULT_SUITES), depends_on: [], cache: "local", cache_size: "100MB" },
    // The thin environment's tools: dev_scripts or dev_scripts_<repo>, and every dir below them.
    setenv: { path: ["dev_scripts*/**"], pythonpath: ["."] },
    sync: { from: null, files: [] },
    tasks: {},
  };
}

/** JSON Schema (draft 2020-12) for editors, generated from the same description. */
export function toJsonSchema(schema: Schema): Record<string, unknown> {
  const base: Record<string, unknown> = schema.description ? { description: schema.description } : {};
  switch (schema.kind) {
    case "string":
      return {
        ...base,
        type: "string",
        ...(schema.enum ? { enum: schema.enum } : {}),
        ...(schema.pattern ? { pattern: schema.pattern.source } : {}),
      };
    case "boolean":
      return { ...base, type: "boolean" };
    case "number":
      return { ...base, type: "number", ...(schema.min !== undefined ? { minimum: schema.min } : {}) };
    case "list":
      return { ...base, type: "array", items: toJsonSchema(schema.item) };
    case "map":
      return {
        ...base,
        type: "object",
        ...(schema.key ? { propertyNames: { pattern: schema.key.pattern.source } } : {}),
        additionalProperties: toJsonSchema(schema.value),
      };
    case "object":
      return {
        ...base,
        type: "object",
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(schema.fields).map(([k, v]) => [k, toJsonSchema(v)])),
      };
    case "either":
      return { ...base, oneOf: schema.options.map(toJsonSchema) };
  }
}

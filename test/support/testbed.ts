// The test bed that scripts/testbed.sh sets up: a real Docker engine, two loopback
// registries and offline base images. Tests that need it import `testbed()`; when the
// bed is missing they fail loudly with the command to run, they never skip.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** testbed.json as written by scripts/testbed.sh: the env lines, all strings. */
export interface TestbedEnv {
  DOCKER_HOST?: string;
  DT_TESTBED_DIR: string;
  DT_TEST_REGISTRY: string;
  DT_TEST_AUTH_REGISTRY: string;
  DT_TEST_AUTH_USER: string;
  DT_TEST_AUTH_PASSWORD: string;
  DT_TEST_BUSYBOX: string;
  DT_TEST_BUSYBOX_ARM64: string;
  DT_TEST_PYBASE: string;
  DT_TEST_POETRYBASE?: string;
  DT_TEST_QEMU: string;
  /** A non-root user in the engine socket's group (empty if the bed could not make one). */
  DT_TEST_OTHER_USER?: string;
}

export interface Testbed {
  /** Directory holding the bed's state, logs and env files. */
  dir: string;
  /** Set only when the engine is not on the default socket. */
  dockerHost: string | undefined;
  /** Open registry, "127.0.0.1:5000". */
  registry: string;
  /** Registry with htpasswd auth, "127.0.0.1:5001". */
  authRegistry: string;
  auth: { username: string; password: string };
  images: {
    /** Tiny amd64 image with busybox applets in /bin. */
    busybox: string;
    /** Same for arm64; null when the machine could not build it (no QEMU). */
    busyboxArm64: string | null;
    /** Debian bookworm with python3, pytest, venv, git. */
    pybase: string;
    /** The same plus Debian's python3-poetry (1.3.2), for dt deps. */
    poetrybase: string;
  };
  /** arm64 binaries run through QEMU binfmt. */
  qemu: boolean;
  /** The raw variables, to pass to child processes (`{ ...process.env, ...tb.env }`). */
  env: TestbedEnv;
}

export function testbedDir(): string {
  return process.env.DT_TESTBED_DIR || "/tmp/dt-testbed";
}

const REQUIRED: (keyof TestbedEnv)[] = [
  "DT_TEST_REGISTRY",
  "DT_TEST_AUTH_REGISTRY",
  "DT_TEST_AUTH_USER",
  "DT_TEST_AUTH_PASSWORD",
  "DT_TEST_BUSYBOX",
  "DT_TEST_PYBASE",
];

function readEnv(file: string): TestbedEnv {
  if (!existsSync(file)) {
    throw new Error(
      `Test bed not found at ${file}. Run \`bash scripts/testbed.sh\` first ` +
        "(it starts the Docker engine and registries and builds the base images).",
    );
  }
  const env = JSON.parse(readFileSync(file, "utf8")) as TestbedEnv;
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`${file} lacks ${missing.join(", ")}; re-run \`bash scripts/testbed.sh\`.`);
  }
  return env;
}

let cached: Testbed | undefined;

/** The bed's second, non-root user (multi-user tests run dt as it); throws with the fix if missing. */
export function otherUser(): string {
  const name = testbed().env.DT_TEST_OTHER_USER;
  if (!name) throw new Error(`${join(testbedDir(), "testbed.json")} names no second user (DT_TEST_OTHER_USER); re-run \`bash scripts/testbed.sh\` as root.`);
  return name;
}

/** The test bed, read once from $DT_TESTBED_DIR/testbed.json. Throws if it is missing. */
export function testbed(): Testbed {
  if (cached) return cached;
  const dir = testbedDir();
  const env = readEnv(join(dir, "testbed.json"));
  cached = {
    dir,
    dockerHost: env.DOCKER_HOST || undefined,
    registry: env.DT_TEST_REGISTRY,
    authRegistry: env.DT_TEST_AUTH_REGISTRY,
    auth: { username: env.DT_TEST_AUTH_USER, password: env.DT_TEST_AUTH_PASSWORD },
    images: {
      busybox: env.DT_TEST_BUSYBOX,
      busyboxArm64: env.DT_TEST_BUSYBOX_ARM64 || null,
      pybase: env.DT_TEST_PYBASE,
      // Checked where it is used: a bed set up before it existed still serves every other test.
      get poetrybase(): string {
        if (!env.DT_TEST_POETRYBASE) throw new Error("the test bed has no DT_TEST_POETRYBASE; re-run `bash scripts/testbed.sh` (about 90 s once)");
        return env.DT_TEST_POETRYBASE;
      },
    },
    qemu: env.DT_TEST_QEMU === "1",
    env,
  };
  return cached;
}

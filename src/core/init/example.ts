import { mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { assetsUnder, fillTemplate, isExecutableAsset } from "../base/assets.ts";
import { usageError } from "../base/errors.ts";
import { exists, writeFileAtomic } from "../base/fs-util.ts";
import { git, gitRaw } from "../git/git.ts";

export interface ExampleResult {
  root: string;
  upstream: string;
  files: number;
}

/** Commit identity for the example's commits when the user has none configured. */
async function identityArgs(cwd: string): Promise<string[]> {
  const email = await gitRaw(["config", "user.email"], cwd);
  return email.code === 0 && email.stdout.trim() ? [] : ["-c", "user.name=dt example", "-c", "user.email=dt@example.invalid"];
}

function writeTree(dir: string, files: Map<string, string>, values: Record<string, string>): number {
  for (const [path, text] of files) {
    writeFileAtomic(join(dir, path), fillTemplate(text, values), isExecutableAsset(path) ? 0o755 : 0o644);
  }
  return files.size;
}

/**
 * Writes the example workspace: a super-repo `DIR` with the shared library `helpers_root` as a
 * real git sub-repo. The library's upstream is a bare repo kept inside `DIR/.git/`, so the
 * example is self-contained (deleting DIR removes everything) and `git submodule` works on it.
 */
export async function writeExample(dirArg: string, options: { baseImage: string }): Promise<ExampleResult> {
  const root = resolve(dirArg);
  if (exists(root) && readdirSync(root).length > 0) {
    throw usageError(`${dirArg} exists and is not empty`, { hint: "give a new directory, e.g. 'dt init --example demo'" });
  }
  mkdirSync(root, { recursive: true });
  const values = { base_image: options.baseImage };
  const upstream = join(root, ".git", "dt-example", "helpers_root.git");
  const scratch = join(root, ".git", "dt-example", "helpers-work");
  try {
    await git(["init", "-q", "-b", "main", root], root);
    const who = await identityArgs(root);

    mkdirSync(scratch, { recursive: true });
    let count = writeTree(scratch, assetsUnder("example/helpers"), values);
    await git(["init", "-q", "-b", "main"], scratch);
    await git(["add", "-A"], scratch);
    await git([...who, "commit", "-q", "-m", "helpers: shared library of the demo"], scratch);
    await git(["clone", "-q", "--bare", scratch, upstream], root);
    rmSync(scratch, { recursive: true, force: true });

    count += writeTree(root, assetsUnder("example/super"), values);
    // The apps install the shared mylib into their images through a link the build context
    // resolves, so their prod images (code copied in, nothing mounted) import it too.
    for (const app of ["apps/pricer", "apps/reporter"]) {
      const dir = join(root, app, "devops", "docker_build", "python_packages");
      mkdirSync(dir, { recursive: true });
      symlinkSync("../../../../../helpers_root/mylib", join(dir, "mylib"));
    }
    await git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", "-b", "main", upstream, "helpers_root"], root);
    await git(["add", "-A"], root);
    await git([...who, "commit", "-q", "-m", "demo: two runnable dirs using the shared helpers_root"], root);
    return { root, upstream, files: count };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

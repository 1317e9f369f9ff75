// One runnable dir at the root of a temp dir, resolved as a command would resolve it, for the
// unit tests that drive orchestration against test/support/fake-engine.ts. No git repo: dt reads
// HEAD from the file system and asks git only for the source label, which may be empty.
import { Writable } from "node:stream";
import { targetOf, type Target } from "../../src/core/workspace/target.ts";
import type { Workspace } from "../../src/core/workspace/workspace.ts";
import { LABEL } from "../../src/core/workspace/image-ref.ts";
import { runnableFiles, testdir } from "./fixtures.ts";

export interface FakeTarget {
  root: string;
  target: Target;
  ws: Workspace;
}

export function runnableTarget(dtYaml = "name: app\n", files: Record<string, string> = {}): FakeTarget {
  const { path: root } = testdir({ "dt.yaml": dtYaml, ...runnableFiles("app"), "app.py": "VALUE = 1\n", ...files });
  return {
    root,
    target: targetOf({ root, path: ".", absPath: root }),
    ws: { root, subRepos: [], runnableDirs: [{ path: ".", absPath: root, repo: "." }] },
  };
}

/** The labels dt puts on a local image it builds for `target` (how dt finds local images). */
export function localLabels(target: Target, version = target.version): Record<string, string> {
  return { [LABEL.workspace]: target.root, [LABEL.runnableDir]: target.path, [LABEL.stage]: "local", [LABEL.version]: version };
}

/** A stream that keeps what is written to it, for a container's stdout or stderr. */
export function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

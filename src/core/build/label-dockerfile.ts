// dt's labels as one LABEL instruction, for a build of their own FROM the image just built. The
// classic builder turns each entry of /build's `labels` into a step of its own: a container
// made and committed per label, 0.1-0.2 s of CPU each on two cores, and eleven labels took a
// small image's build from 1.3 to 3.3 s (docs/benchmarks.md, "Labels in one step").

/** A value's characters a double-quoted Dockerfile word cannot hold (a backslash-newline joins lines). */
const INEXPRESSIBLE = /[\u0000-\u001f\u007f]/;

/** `text` as a double-quoted Dockerfile word: the default escape character before `\`, `"` and `$` (no variable expansion). */
function quoted(text: string): string {
  return `"${text.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/**
 * The Dockerfile `FROM image` + one LABEL with every label (sorted by key), or undefined when a
 * key or value holds a control character (a newline in a path, say), which only /build's
 * `labels` parameter can carry.
 */
export function labelDockerfile(image: string, labels: Readonly<Record<string, string>>): string | undefined {
  const keys = Object.keys(labels).sort();
  if (keys.some((k) => INEXPRESSIBLE.test(k) || INEXPRESSIBLE.test(labels[k]!))) return undefined;
  const words = keys.map((k) => `${quoted(k)}=${quoted(labels[k]!)}`);
  return `FROM ${image}\n${words.length ? `LABEL ${words.join(" \\\n      ")}\n` : ""}`;
}

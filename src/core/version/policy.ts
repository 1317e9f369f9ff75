import { eq, parse } from "./semver.ts";

export type VersionPolicy = "exact" | "minor" | "major";

/** Whether an image built at `imageVersion` may run code whose changelog says `codeVersion`. */
export function versionsMatch(policy: VersionPolicy, imageVersion: string, codeVersion: string): boolean {
  // The usual answer without parsing (codeVersion is a changelog's, so valid): every policy
  // allows the very version.
  if (imageVersion === codeVersion) return true;
  const image = parse(imageVersion);
  const code = parse(codeVersion);
  if (!image || !code) return false;
  switch (policy) {
    case "exact":
      return eq(image, code);
    case "minor":
      return image.major === code.major && image.minor === code.minor;
    case "major":
      return image.major === code.major;
  }
}

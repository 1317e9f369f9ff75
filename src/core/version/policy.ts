import semver from "semver";

export type VersionPolicy = "exact" | "minor" | "major";

/** Whether an image built at `imageVersion` may run code whose changelog says `codeVersion`. */
export function versionsMatch(policy: VersionPolicy, imageVersion: string, codeVersion: string): boolean {
  const image = semver.parse(imageVersion);
  const code = semver.parse(codeVersion);
  if (!image || !code) return false;
  switch (policy) {
    case "exact":
      return semver.eq(image, code);
    case "minor":
      return image.major === code.major && image.minor === code.minor;
    case "major":
      return image.major === code.major;
  }
}

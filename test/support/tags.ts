// Local tags as dt makes them (SPEC, image identity): `local-USER-KEY[-X.Y.Z]`, KEY the first 8
// hex digits of the sha256 of the workspace root's realpath. Computed here independently.
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";

export const workspaceKeyOf = (root: string) => createHash("sha256").update(realpathSync(root)).digest("hex").slice(0, 8);

export const localTag = (root: string, user: string, version?: string) => `local-${user}-${workspaceKeyOf(root)}${version ? `-${version}` : ""}`;

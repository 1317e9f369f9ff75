// The semver functions dt uses, each loaded on its first call: semver builds its regular
// expressions when loaded (~2 ms of a compiled dt's start), which a run whose version comes from
// a cache, and whose image carries exactly that version, never needs. (Literal requires: the
// bundler must see each path.)
import type * as Semver from "semver";

export const valid = (version: string) => (require("semver/functions/valid") as typeof Semver.valid)(version);
export const clean = (version: string) => (require("semver/functions/clean") as typeof Semver.clean)(version);
export const parse = (version: string) => (require("semver/functions/parse") as typeof Semver.parse)(version);
export const lt = (a: string, b: string) => (require("semver/functions/lt") as typeof Semver.lt)(a, b);
export const eq = (a: Semver.SemVer | string, b: Semver.SemVer | string) => (require("semver/functions/eq") as typeof Semver.eq)(a, b);
export const rcompare = (a: string, b: string) => (require("semver/functions/rcompare") as typeof Semver.rcompare)(a, b);
export const inc = (version: string, kind: Semver.ReleaseType) => (require("semver/functions/inc") as typeof Semver.inc)(version, kind);

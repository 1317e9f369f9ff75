/** A commit as `dt subrepo` shows it: its first 7 hex digits; `-` for none. */
export const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : "-");

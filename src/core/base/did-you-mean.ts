/** Levenshtein distance, small inputs only (flag and key names). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // One edit for very short input, else a third of its length (at least two).
  const limit = input.length <= 2 ? 1 : Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? best : undefined;
}

export const suggestion = (input: string, candidates: Iterable<string>, prefix = "") => {
  const match = didYouMean(input, candidates);
  return match ? ` Did you mean '${prefix}${match}'?` : "";
};

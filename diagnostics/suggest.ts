/**
 * "Did you mean …" help: the closest known word within a small edit distance.
 *
 * Bounded in time and memory whatever the input (a 40,000-character name once took the process out of memory):
 * candidates whose length differs by more than the allowed edits are skipped without a look, and the distance is
 * computed only in the diagonal band |i − j| ≤ limit, two rows at a time — O(limit · length) time, O(length)
 * memory — stopping as soon as every cell of a row exceeds the limit.
 */

/**
 * Damerau–Levenshtein distance (optimal string alignment: adjacent transpositions count as one edit),
 * case-insensitive. With `limit`, any distance above it is returned as `limit + 1`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const n = s.length;
  const m = t.length;
  const k = Math.min(limit, Math.max(n, m));
  const over = k + 1;
  if (Math.abs(n - m) > k) return over;
  let before = new Array<number>(m + 1).fill(over); // row i − 2
  let prev = new Array<number>(m + 1).fill(over); // row i − 1
  let cur = new Array<number>(m + 1).fill(over);
  for (let j = 0; j <= Math.min(m, k); j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(m, i + k);
    cur.fill(over, Math.max(0, lo - 1), Math.min(m, hi + 1) + 1);
    cur[0] = i <= k ? i : over;
    let rowMin = cur[0]!;
    for (let j = lo; j <= hi; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      v = Math.min(v, over);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > k) return over;
    [before, prev, cur] = [prev, cur, before];
  }
  return Math.min(prev[m]!, over);
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo: at most one edit for
 * short words, two for words of five letters or more. Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length >= 5 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word || Math.abs(c.length - word.length) > limit) continue;
    const dist = editDistance(word, c, Math.min(limit, bestDistance - 1));
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

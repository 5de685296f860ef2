/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each list contributes
 * `weight / (k + rank)` for every item it ranks. It needs no score calibration between BM25
 * (unbounded) and cosine (−1…1), which is why it is the default way to merge them; k = 60 is
 * the paper's constant and damps the influence of any single list's top ranks.
 *
 * @example
 * fuseRankings([[3, 1, 2], [1, 4]]) // → [{ slot: 1, score: … }, { slot: 3, … }, …]
 */
export function fuseRankings(
  rankings: ReadonlyArray<readonly number[]>,
  options: { k?: number; weights?: readonly number[] } = {},
): Array<{ slot: number; score: number }> {
  const k = options.k ?? 60;
  const scores = new Map<number, number>();
  rankings.forEach((ranking, list) => {
    const weight = options.weights?.[list] ?? 1;
    ranking.forEach((slot, rank) => {
      scores.set(slot, (scores.get(slot) ?? 0) + weight / (k + rank + 1));
    });
  });
  return [...scores].map(([slot, score]) => ({ slot, score })).sort((a, b) => b.score - a.score || a.slot - b.slot);
}

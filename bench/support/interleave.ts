/**
 * Runs the legs of a comparison in interleaved rounds (A B, B A, A B…) so both see the same
 * machine: on a shared 2-core box the load from other processes drifts within seconds, and a
 * block of A then a block of B would measure the drift.
 */
export async function interleave<K extends string, T>(rounds: number, legs: Record<K, () => Promise<T[]>>): Promise<Record<K, T[]>> {
  const names = Object.keys(legs) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) samples[name].push(...(await legs[name]()));
  }
  return samples;
}

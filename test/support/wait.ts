import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` (sync, or async such as a request to the server) until it holds; fails
 * naming `what` after `timeoutMs`.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 8_000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Values from the wx shim's vm realm have foreign prototypes: compare their plain JSON shape. */
export const plain = (value: unknown): any => JSON.parse(JSON.stringify(value));

/** A deterministic PRNG (mulberry32), so randomized tests reproduce from their seed. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { runRateLimiterContract } from './rate-limiter.contract.js';

runRateLimiterContract('memory', async (now) => {
  const limiter = new MemoryRateLimiter({ now });
  return { limiter, cleanup: () => limiter.close() };
});

it('memory limiter: bounded; expired counters are swept before live ones are dropped', async () => {
  let now = 0;
  const limiter = new MemoryRateLimiter({ maxKeys: 3, now: () => now });
  const rule = { limit: 1, windowMs: 1_000 };
  await limiter.consume('old', { limit: 1, windowMs: 100 });
  await limiter.consume('a', rule);
  await limiter.consume('b', rule);
  now = 150; // 'old' has expired
  await limiter.consume('c', rule);
  assert.equal(limiter.size, 3);
  assert.equal((await limiter.consume('a', rule)).allowed, false, 'live counters survived the sweep');
  await limiter.consume('d', rule); // full of live counters: the oldest ('a') goes
  assert.equal(limiter.size, 3);
  assert.equal((await limiter.consume('b', rule)).allowed, false);
  await limiter.close();
});

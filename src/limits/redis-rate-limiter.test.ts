import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, it } from 'node:test';
import { Redis } from 'ioredis';
import { runRateLimiterContract } from './rate-limiter.contract.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

// The real Redis the test environment provides; every test under its own prefix.
const url = 'redis://127.0.0.1:6379';
const runId = `wag-test-${randomUUID()}:`;
const client = new Redis(url, { maxRetriesPerRequest: 2 });
after(async () => {
  const keys = await client.keys(`${runId}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
});

runRateLimiterContract('redis', async (now) => ({
  limiter: new RedisRateLimiter(client, { prefix: `${runId}${randomUUID()}:`, now }),
  cleanup: async () => {},
}));

it('redis limiter: two instances share counters; keys expire with their window', async () => {
  const prefix = `${runId}${randomUUID()}:`;
  const t = Date.UTC(2026, 0, 1, 0, 0, 30);
  const a = new RedisRateLimiter(client, { prefix, now: () => t });
  const b = new RedisRateLimiter(client, { prefix, now: () => t });
  const rule = { limit: 2, windowMs: 60_000 };
  assert.equal((await a.consume('u', rule)).remaining, 1);
  assert.equal((await b.consume('u', rule)).remaining, 0);
  assert.equal((await a.consume('u', rule)).allowed, false);
  const [key] = await client.keys(`${prefix}*`);
  const ttl = await client.pttl(key!);
  assert.ok(ttl > 0 && ttl <= 31_000, `ttl ${ttl} ms: the rest of the window plus a second`);
});

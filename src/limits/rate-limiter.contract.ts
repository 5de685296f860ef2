import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RateLimiter } from './rate-limiter.js';

export interface RateLimiterFixture {
  limiter: RateLimiter;
  /** Removes what the test wrote and releases the backend; runs after every test. */
  cleanup(): Promise<void>;
}

/** 2026-01-01T00:00:00Z: a minute and a day boundary, so tests can reason about windows. */
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = { limit: 3, windowMs: 60_000 };

/**
 * The behaviour every RateLimiter driver must show, against its real backend (Keyv-style).
 * `make` gets the clock the driver must read, so windows pass without sleeping.
 *
 * @example
 * runRateLimiterContract('memory', async (now) => ({ limiter: new MemoryRateLimiter({ now }), cleanup: async () => {} }));
 */
export function runRateLimiterContract(name: string, make: (now: () => number) => Promise<RateLimiterFixture>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let fixture: RateLimiterFixture;
    let limiter: RateLimiter;
    let now = T0;
    beforeEach(async () => {
      now = T0;
      fixture = await make(() => now);
      limiter = fixture.limiter;
    });
    afterEach(() => fixture.cleanup());

    it('allows up to the limit, then refuses with the seconds to the window end, consuming nothing', async () => {
      now = T0 + 15_000;
      for (const remaining of [2, 1, 0]) {
        assert.deepEqual(await limiter.consume('a', MINUTE), { allowed: true, remaining, retryAfterSeconds: 0, limit: 3 });
      }
      now = T0 + 20_500;
      assert.deepEqual(await limiter.consume('a', MINUTE), { allowed: false, remaining: 0, retryAfterSeconds: 40, limit: 3 });
      assert.equal((await limiter.consume('a', MINUTE)).allowed, false);
      assert.equal((await limiter.peek('a', MINUTE)).remaining, 0, 'refusals took nothing and added nothing');
    });

    it('a new window starts afresh', async () => {
      for (let i = 0; i < 3; i++) await limiter.consume('a', MINUTE);
      now = T0 + 59_999;
      assert.deepEqual(await limiter.consume('a', MINUTE), { allowed: false, remaining: 0, retryAfterSeconds: 1, limit: 3 });
      now = T0 + 60_000;
      assert.deepEqual(await limiter.consume('a', MINUTE), { allowed: true, remaining: 2, retryAfterSeconds: 0, limit: 3 });
    });

    it('keys are independent', async () => {
      for (let i = 0; i < 3; i++) await limiter.consume('a', MINUTE);
      assert.equal((await limiter.consume('a', MINUTE)).allowed, false);
      assert.equal((await limiter.consume('b', MINUTE)).allowed, true);
    });

    it('a cost that does not fit is refused whole; a smaller one still fits', async () => {
      const rule = { limit: 10, windowMs: 60_000 };
      assert.equal((await limiter.consume('a', rule, 7)).remaining, 3);
      assert.equal((await limiter.consume('a', rule, 4)).allowed, false);
      assert.deepEqual(await limiter.consume('a', rule, 3), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 10 });
    });

    it('add records past the limit; peek reads without consuming', async () => {
      const rule = { limit: 1000, windowMs: 60_000 };
      assert.deepEqual(await limiter.peek('a', rule), { allowed: true, remaining: 1000, retryAfterSeconds: 0, limit: 1000 });
      await limiter.add('a', rule, 600);
      assert.equal((await limiter.peek('a', rule)).remaining, 400);
      assert.equal((await limiter.peek('a', rule)).remaining, 400, 'peek took nothing');
      await limiter.add('a', rule, 600);
      now = T0 + 30_000;
      assert.deepEqual(await limiter.peek('a', rule), { allowed: false, remaining: 0, retryAfterSeconds: 30, limit: 1000 });
    });

    it('an offset shifts the boundaries: a +8 h day ends at 16:00 UTC (midnight in Shanghai)', async () => {
      const day = { limit: 5, windowMs: 86_400_000, offsetMs: 8 * 3_600_000 };
      now = T0 + 15 * 3_600_000; // 23:00 in Shanghai
      await limiter.add('t', day, 5);
      assert.deepEqual(await limiter.peek('t', day), { allowed: false, remaining: 0, retryAfterSeconds: 3600, limit: 5 });
      now = T0 + 16 * 3_600_000; // 00:00 the next day in Shanghai
      assert.equal((await limiter.peek('t', day)).remaining, 5);
    });

    it('peekThenConsume: consumes only while the gate allows, and says which one refused', async () => {
      const day = { limit: 100, windowMs: 86_400_000 };
      const gate = { key: 'tokens', rule: day };
      now = T0 + 15_000;
      assert.deepEqual(await limiter.peekThenConsume(gate, 'chat', MINUTE), {
        gate: { allowed: true, remaining: 100, retryAfterSeconds: 0, limit: 100 },
        taken: { allowed: true, remaining: 2, retryAfterSeconds: 0, limit: 3 },
      });
      await limiter.peekThenConsume(gate, 'chat', MINUTE);
      await limiter.peekThenConsume(gate, 'chat', MINUTE);
      const full = await limiter.peekThenConsume(gate, 'chat', MINUTE);
      assert.deepEqual(full.taken, { allowed: false, remaining: 0, retryAfterSeconds: 45, limit: 3 });
      now = T0 + 60_000;
      await limiter.add('tokens', day, 100);
      const gated = await limiter.peekThenConsume(gate, 'chat', MINUTE);
      assert.deepEqual(gated, { gate: { allowed: false, remaining: 0, retryAfterSeconds: 86_340, limit: 100 } });
      assert.equal((await limiter.peek('chat', MINUTE)).remaining, 3, 'a refused gate consumed nothing');
    });

    it('concurrent consumers never take more than the limit', async () => {
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('race', { limit: 5, windowMs: 60_000 })));
      assert.equal(decisions.filter((d) => d.allowed).length, 5);
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs, retryDelay } from './retry-policy.js';

describe('retryAfterMs', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it('reads seconds, retry-after-ms and HTTP dates', () => {
    assert.equal(retryAfterMs(h({ 'retry-after': '3' })), 3_000);
    assert.equal(retryAfterMs(h({ 'retry-after': '0.25' })), 250);
    assert.equal(retryAfterMs(h({ 'retry-after-ms': '120', 'retry-after': '9' })), 120);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterMs(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5_000);
    assert.equal(retryAfterMs(h({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now), 0);
  });
  it('is undefined when absent or garbled', () => {
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs(h({})), undefined);
    assert.equal(retryAfterMs(h({ 'retry-after': 'soon' })), undefined);
  });
});

describe('retryDelay', () => {
  const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
  it('backs off exponentially with jitter, capped', () => {
    for (const [attempt, full] of [[0, 100], [1, 200], [2, 400]] as const) {
      const wait = retryDelay(policy, attempt, undefined)!;
      assert.ok(wait >= full * 0.75 && wait <= full, `${attempt}: ${wait}`);
    }
    assert.ok(retryDelay({ ...policy, maxRetries: 10 }, 8, undefined)! <= 1_000);
  });
  it('obeys Retry-After, never earlier, at most 10% later; gives up above the cap or after maxRetries', () => {
    const wait = retryDelay(policy, 0, 500)!;
    assert.ok(wait >= 500 && wait <= 550, String(wait));
    assert.equal(retryDelay(policy, 0, 5_000), undefined);
    assert.equal(retryDelay(policy, 3, undefined), undefined);
  });
});

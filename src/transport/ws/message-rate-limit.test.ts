import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageRateLimit } from './message-rate-limit.js';

describe('MessageRateLimit', () => {
  it('allows perSecond frames in a second, refuses the next, and starts over a second later', () => {
    let now = 10_000;
    const limit = new MessageRateLimit(3, () => now);
    assert.deepEqual([limit.tryTake(), limit.tryTake(), limit.tryTake(), limit.tryTake()], [true, true, true, false]);
    now += 999;
    assert.equal(limit.tryTake(), false);
    now += 1;
    assert.equal(limit.tryTake(), true);
  });
});

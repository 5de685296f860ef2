import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatSample } from './load-protocol.js';
import { steady } from './steady-load.js';

test('steady load: never more chats than streams in flight, every client chats, only chats after the stagger are kept', async () => {
  const began = performance.now();
  let inFlight = 0;
  let most = 0;
  const perClient = new Map<number, number>();
  const kept = await steady({ streams: 5, staggerMs: 30, durationMs: 60 }, async (client) => {
    const startedAt = performance.now() - began;
    inFlight++;
    most = Math.max(most, inFlight);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    await sleep(5);
    inFlight--;
    // the sample carries when its chat started, to check what was kept
    return { ttfd: startedAt, maxGap: 0, deltas: 0, total: 0, violations: [] } satisfies ChatSample;
  });
  assert.ok(most <= 5, `at most 5 in flight, saw ${most}`);
  assert.deepEqual([...perClient.keys()].sort(), [0, 1, 2, 3, 4], 'every client chatted');
  const total = [...perClient.values()].reduce((a, b) => a + b, 0);
  assert.ok(kept.length > 0, `none kept of ${total}`);
  for (const sample of kept) assert.ok(sample.ttfd >= 30, `kept a chat started at ${sample.ttfd.toFixed(1)} ms, inside the stagger`);
});

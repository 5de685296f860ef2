import assert from 'node:assert/strict';
import { test } from 'node:test';
import { urlForClient } from './spread-urls.js';

test('one URL (the protocol as before): every client on it', () => {
  assert.deepEqual([0, 1, 2].map((n) => urlForClient(n, 'ws://a')), ['ws://a', 'ws://a', 'ws://a']);
  assert.equal(urlForClient(3, 'ws://a', []), 'ws://a');
});

test('several URLs: round-robin, equal shares, `url` ignored', () => {
  const urls = ['ws://a', 'ws://b'];
  const picked = Array.from({ length: 200 }, (_, n) => urlForClient(n, 'ws://ignored', urls));
  assert.deepEqual(picked.slice(0, 4), ['ws://a', 'ws://b', 'ws://a', 'ws://b']);
  assert.equal(picked.filter((u) => u === 'ws://a').length, 100);
  assert.equal(picked.filter((u) => u === 'ws://b').length, 100);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuseRankings } from './fuse.js';
import { VectorIndex } from './vector-index.js';

test('exact cosine search over normalised vectors', () => {
  const index = new VectorIndex(3, 2);
  index.set(0, Float32Array.of(1, 0, 0));
  index.set(1, Float32Array.of(10, 10, 0)); // normalised on the way in
  index.set(2, Float32Array.of(0, 0, 1));
  index.set(5, Float32Array.of(-1, 0, 0)); // grows past the initial capacity
  const hits = index.search(Float32Array.of(2, 1, 0), 2);
  assert.deepEqual(hits.map((h) => h.slot), [1, 0]);
  assert.ok(Math.abs(hits[0]!.score - 3 / Math.sqrt(10)) < 1e-6);
  index.remove(1);
  assert.equal(index.size, 3);
  assert.deepEqual(index.search(Float32Array.of(2, 1, 0), 1).map((h) => h.slot), [0]);
  assert.throws(() => index.set(3, Float32Array.of(1, 2)), /dimensions/);
});

test('reciprocal rank fusion rewards items both lists rank well', () => {
  const fused = fuseRankings([[1, 2, 3], [3, 1, 4]]);
  assert.deepEqual(fused.map((f) => f.slot), [1, 3, 2, 4]);
  assert.ok(Math.abs(fused[0]!.score - (1 / 61 + 1 / 62)) < 1e-12);
});

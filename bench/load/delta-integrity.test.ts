import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDeltas } from './delta-integrity.js';

const stream = (...parts: string[]) => parts.map((delta, index) => ({ index, delta }));
const answer = 'abcdef';

test('an intact stream has no problems', () => {
  assert.deepEqual(checkDeltas({ deltas: stream('ab', 'cd', 'ef'), finalText: answer, expected: answer }), []);
});

test('a dropped delta in the middle is named, and the text no longer matches', () => {
  const deltas = stream('ab', 'cd', 'ef').filter((d) => d.index !== 1);
  const problems = checkDeltas({ deltas, finalText: answer, expected: answer });
  assert.ok(problems.includes('dropped delta 1'), problems.join('; '));
  assert.ok(problems.some((p) => p.startsWith('deltas join to 4 chars')));
});

test('a dropped last delta is caught by the final text', () => {
  const problems = checkDeltas({ deltas: stream('ab', 'cd'), finalText: answer, expected: answer });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /deltas join to 4 chars, final text has 6/);
});

test('a duplicated delta is named', () => {
  const [a, b, c] = stream('ab', 'cd', 'ef');
  const problems = checkDeltas({ deltas: [a!, b!, b!, c!], finalText: answer });
  assert.ok(problems.includes('duplicated delta 1 at position 2'), problems.join('; '));
});

test('a reordered delta is named even when the text is a permutation of the same length', () => {
  const [a, b, c] = stream('ab', 'cd', 'ef');
  const problems = checkDeltas({ deltas: [a!, c!, b!], finalText: answer });
  assert.ok(problems.includes('reordered delta 1 after 2'), problems.join('; '));
});

test('a final text that is not the model answer is a problem even when self-consistent', () => {
  const problems = checkDeltas({ deltas: stream('ab', 'cd'), finalText: 'abcd', expected: answer });
  assert.deepEqual(problems, ["final text differs from the model's answer (4 vs 6 chars)"]);
});

test('without indexes (the seed peer) the text comparison still catches a reorder', () => {
  const deltas = [{ delta: 'ab' }, { delta: 'ef' }, { delta: 'cd' }];
  assert.equal(checkDeltas({ deltas, finalText: 'abefcd', expected: answer }).length, 1);
  assert.deepEqual(checkDeltas({ deltas: [{ delta: 'abc' }, { delta: 'def' }], finalText: answer, expected: answer }), []);
});

test('an answer that ended in an error is only checked for order', () => {
  assert.deepEqual(checkDeltas({ deltas: stream('ab', 'cd') }), []);
  const [a, b] = stream('ab', 'cd');
  assert.equal(checkDeltas({ deltas: [b!, a!] }).length, 1);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitForCheck } from './split-for-check.js';

describe('splitForCheck', () => {
  it('keeps short text whole', () => {
    assert.deepEqual(splitForCheck('你好'), ['你好']);
    assert.deepEqual(splitForCheck(''), ['']);
  });

  it('cuts long text at sentence ends, each piece ≤ max, nothing lost', () => {
    const text = '这是一个句子。'.repeat(1000); // 7,000 characters
    const pieces = splitForCheck(text);
    assert.ok(pieces.length >= 3);
    assert.equal(pieces.join(''), text);
    for (const piece of pieces) {
      assert.ok(piece.length <= 2500);
      assert.ok(piece.endsWith('。') || piece === pieces.at(-1));
    }
  });

  it('never splits a surrogate pair, even with no break in sight', () => {
    const text = '😀'.repeat(10);
    const pieces = splitForCheck(text, 5);
    assert.equal(pieces.join(''), text);
    for (const piece of pieces) assert.ok(piece.length <= 5 && piece.length % 2 === 0);
  });
});

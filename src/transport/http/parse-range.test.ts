import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from './parse-range.js';

describe('parseRange', () => {
  it('reads the forms players send', () => {
    assert.deepEqual(parseRange('bytes=0-499', 1000), { start: 0, end: 499 });
    assert.deepEqual(parseRange('bytes=500-', 1000), { start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=-200', 1000), { start: 800, end: 999 });
    assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  });

  it('refuses a range starting past the end', () => {
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
  });

  it('ignores what it does not understand: the whole file is served', () => {
    for (const header of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-1', 'bytes=a-b', `bytes=${'9'.repeat(30)}-`]) {
      assert.equal(parseRange(header, 1000), undefined, String(header));
    }
  });
});

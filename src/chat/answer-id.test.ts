import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newAnswerId, uuidV7 } from './answer-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('answer ids', () => {
  for (const [name, make] of [['newAnswerId (this Node)', () => newAnswerId()], ['uuidV7 (Node without crypto.randomUUIDv7)', () => uuidV7()]] as const) {
    it(`${name}: a version 7 UUID carrying the current time, never repeated`, () => {
      const before = Date.now();
      const ids = Array.from({ length: 1_000 }, make);
      const after = Date.now();
      for (const id of ids) {
        assert.match(id, V7);
        assert.ok(msOf(id) >= before && msOf(id) <= after, `${id} carries a time within the call`);
      }
      assert.equal(new Set(ids).size, ids.length);
    });
  }

  it('ids made later sort after earlier ones (what keeps the unique index append-only)', () => {
    const earlier = uuidV7(1_700_000_000_000);
    const later = uuidV7(1_700_000_000_001);
    assert.ok(earlier < later);
    assert.ok(`${earlier}:q` < later, 'a question id sorts with its answer, before the next ms');
    assert.equal(msOf(uuidV7(0xffff_ffff_ffff)), 0xffff_ffff_ffff, 'all 48 time bits are kept');
  });
});

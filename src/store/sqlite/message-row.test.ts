import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toStoredMessage, type MessageRow } from './message-row.js';

const row = (over: Partial<MessageRow> = {}): MessageRow => ({
  id: 'a1',
  role: 'assistant',
  content: '七天内可以退货',
  status: 'complete',
  created_at: 1_700_000_000_000,
  usage: null,
  meta: null,
  ...over,
});

describe('toStoredMessage', () => {
  it('maps the columns; absent usage and details stay absent', () => {
    for (const malformed of ['throw', 'drop'] as const) {
      const message = toStoredMessage(row(), { malformed });
      assert.deepEqual(message, { id: 'a1', role: 'assistant', content: '七天内可以退货', status: 'complete', createdAt: 1_700_000_000_000 });
      assert.equal('usage' in message || 'model' in message, false);
    }
  });

  it('reads usage and the typed details the same way in both modes', () => {
    const usage = { promptTokens: 10, completionTokens: 5 };
    const meta = { model: 'm', sources: [{ title: '售后', source: 'a.md', snippet: 's', score: 0.5 }], flagged: { label: 'x' }, extra: 1 };
    const expected = {
      ...toStoredMessage(row()),
      usage,
      model: 'm',
      sources: [{ title: '售后', source: 'a.md', snippet: 's', score: 0.5 }],
      flagged: { label: 'x' },
    };
    const stored = row({ usage: JSON.stringify(usage), meta: JSON.stringify(meta) });
    assert.deepEqual(toStoredMessage(stored), expected);
    assert.deepEqual(toStoredMessage(stored, { malformed: 'drop' }), expected);
  });

  it('a column that is not JSON throws by default, and is dropped with malformed: drop', () => {
    assert.throws(() => toStoredMessage(row({ usage: '{oops' })), SyntaxError);
    assert.throws(() => toStoredMessage(row({ meta: 'not json' })), SyntaxError);
    const dropped = toStoredMessage(row({ usage: '{oops', meta: 'not json' }), { malformed: 'drop' });
    assert.deepEqual(dropped, toStoredMessage(row()));
  });

  it('drop also leaves out a usage that is JSON but not an object', () => {
    assert.equal('usage' in toStoredMessage(row({ usage: '42' }), { malformed: 'drop' }), false);
    assert.equal(toStoredMessage(row({ usage: '42' })).usage as unknown, 42, 'the strict read returns the parsed value as it is');
  });
});

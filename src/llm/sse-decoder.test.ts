import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseDecoder } from './sse-decoder.js';

/** Feeds `chunks` one by one; returns the events as [data, event]. */
function decode(...chunks: string[]): Array<[string, string | undefined]> {
  const events: Array<[string, string | undefined]> = [];
  const sse = new SseDecoder((data, event) => events.push([data, event]));
  for (const chunk of chunks) sse.push(chunk);
  return events;
}

/** Every way of cutting `text` in two, and one character at a time. */
function everySplit(text: string): string[][] {
  const splits = [[text], [...text]];
  for (let i = 1; i < text.length; i++) splits.push([text.slice(0, i), text.slice(i)]);
  return splits;
}

describe('SseDecoder', () => {
  it('decodes OpenAI-style events, however the text is split across chunks', () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":"两个字"}\n\ndata: [DONE]\n\n';
    for (const chunks of everySplit(stream)) {
      assert.deepEqual(decode(...chunks), [['{"a":1}', undefined], ['{"b":"两个字"}', undefined], ['[DONE]', undefined]], JSON.stringify(chunks));
    }
  });

  it('accepts CRLF and lone CR line ends, also a CRLF split between two chunks', () => {
    const crlf = 'data: one\r\n\r\ndata: two\r\n\r\n';
    for (const chunks of everySplit(crlf)) assert.deepEqual(decode(...chunks), [['one', undefined], ['two', undefined]], JSON.stringify(chunks));
    const cr = 'data: one\r\rdata: two\r\r';
    for (const chunks of everySplit(cr)) assert.deepEqual(decode(...chunks), [['one', undefined], ['two', undefined]], JSON.stringify(chunks));
  });

  it('skips comments and keep-alive lines, and ignores unknown fields', () => {
    assert.deepEqual(decode(': keep-alive\n\n', ':\n', 'id: 7\nretry: 100\ndata: x\n\n', ': ping\n\n'), [['x', undefined]]);
  });

  it('joins multi-line data with \\n and reports the event name', () => {
    assert.deepEqual(decode('event: error\ndata: {"error":\ndata: "boom"}\n\n'), [['{"error":\n"boom"}', 'error']]);
  });

  it('follows the field rules: one optional space after the colon, a bare "data" is an empty line of data', () => {
    assert.deepEqual(decode('data:x\n\n', 'data:  two spaces\n\n', 'data\n\n', 'data:\n\n'), [
      ['x', undefined],
      [' two spaces', undefined],
      ['', undefined],
      ['', undefined],
    ]);
  });

  it('does not dispatch an event without data, nor one cut off by the end of the stream', () => {
    assert.deepEqual(decode('event: ping\n\n', '\n\n', 'data: last'), []);
    assert.deepEqual(decode('data: first\n\n', 'data: cut\n'), [['first', undefined]]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaFrameText } from './delta-frame-text.js';
import { deltaFrame } from './server-frame.js';

describe('deltaFrameText', () => {
  it('is byte for byte JSON.stringify(deltaFrame(…)), with and without request_id', () => {
    const ids = ['0b7f6a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'with "quotes" and \\ and 中文'];
    const rids = [undefined, 'r-1', 7, 0, 'a"b\u2028', 1.5];
    const deltas = ['你好', '', 'line\nbreak "quoted" \\ \t \u0000 \ud83d\ude00', '"index":0,"delta":""', 'x'.repeat(5000)];
    for (const id of ids) {
      for (const rid of rids) {
        const text = deltaFrameText(id, rid);
        for (const [index, delta] of deltas.entries()) {
          assert.equal(text(index * 37, delta), JSON.stringify(deltaFrame({ id, index: index * 37, delta }, rid)));
        }
      }
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amrFrames, silkFrames } from './audio-duration.js';

test('counts AMR-NB frames by mode and refuses a last frame cut short', () => {
  const frame = (mode: number, payload: number) => Buffer.concat([Buffer.from([(mode << 3) | 0x04]), Buffer.alloc(payload)]);
  const file = Buffer.concat([Buffer.from('#!AMR\n'), frame(7, 31), frame(0, 12), frame(8, 5), frame(15, 0)]);
  assert.equal(amrFrames(file), 4);
  assert.equal(amrFrames(file.subarray(0, file.length - 10)), undefined);
  assert.equal(amrFrames(Buffer.concat([Buffer.from('#!AMR\n'), Buffer.from([9 << 3])])), undefined, 'reserved mode');
});

test('counts SILK frames with and without WeChat\'s leading 0x02, end marker optional', () => {
  const frame = (n: number) => Buffer.concat([Buffer.from(Uint16Array.of(n).buffer), Buffer.alloc(n, 1)]);
  const body = [frame(40), frame(52), frame(38)];
  assert.equal(silkFrames(Buffer.concat([Buffer.from('#!SILK_V3'), ...body])), 3);
  assert.equal(silkFrames(Buffer.concat([Buffer.from([2]), Buffer.from('#!SILK_V3'), ...body, Buffer.from([0xff, 0xff])])), 3);
  const cut = Buffer.concat([Buffer.from('#!SILK_V3'), ...body]);
  assert.equal(silkFrames(cut.subarray(0, cut.length - 5)), undefined);
});

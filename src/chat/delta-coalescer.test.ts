import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeltaCoalescer } from './delta-coalescer.js';

describe('DeltaCoalescer', () => {
  it('sends the first text at once, then batches within the interval, losing nothing', async () => {
    let now = 1_000;
    const out: string[] = [];
    const coalescer = new DeltaCoalescer(50, (text) => out.push(text), () => now);
    coalescer.push('你');
    assert.deepEqual(out, ['你'], 'first token immediately');
    now += 10;
    coalescer.push('好');
    coalescer.push('，');
    assert.deepEqual(out, ['你'], 'held within the interval');
    now += 60;
    coalescer.push('世界');
    assert.deepEqual(out, ['你', '好，世界'], 'interval passed: flushed with the new text');
    coalescer.push('！');
    coalescer.flush();
    assert.deepEqual(out, ['你', '好，世界', '！']);
    coalescer.flush();
    assert.equal(out.length, 3, 'an empty flush emits nothing');
    coalescer.dispose();
  });

  it('flushes held text on its own timer when the model pauses', async () => {
    const out: string[] = [];
    const coalescer = new DeltaCoalescer(20, (text) => out.push(text));
    coalescer.push('a');
    coalescer.push('b');
    assert.deepEqual(out, ['a']);
    for (let i = 0; i < 50 && out.length < 2; i++) await sleep(10);
    assert.deepEqual(out, ['a', 'b']);
    coalescer.dispose();
  });

  it('with interval 0 every piece goes out as it comes', () => {
    const out: string[] = [];
    const coalescer = new DeltaCoalescer(0, (text) => out.push(text));
    for (const piece of ['一', '二', '三']) coalescer.push(piece);
    assert.deepEqual(out, ['一', '二', '三']);
  });
});

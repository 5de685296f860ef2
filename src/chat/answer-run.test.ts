import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerRun } from './answer-run.js';

describe('AnswerRun', () => {
  it('taps see the end before listeners, deltas after them, and never count as followers', () => {
    const run = new AnswerRun('a', 'o', 's');
    const seen: string[] = [];
    run.tap({ delta: (d) => seen.push(`tap:${d.index}`), done: () => seen.push('tap:done') });
    run.attach({ delta: (d) => seen.push(`client:${d.index}`), done: () => seen.push('client:done') });
    run.emitDelta('x');
    run.finish({ id: 'a', text: 'x', status: 'complete' });
    assert.deepEqual(seen, ['client:0', 'tap:0', 'tap:done', 'client:done']);
  });

  it('a listener attached after the end gets the result at once', async () => {
    const run = AnswerRun.ended({ id: 'a', text: '完', status: 'complete' }, 'o', 's');
    let got: string | undefined;
    run.attach({ done: (result) => (got = result.text) });
    assert.equal(got, '完');
    assert.equal((await run.done).text, '完');
  });

  it('a run followed elsewhere is not cancelled when its grace period ends here', async () => {
    const run = new AnswerRun('a', 'o', 's');
    let asked = 0;
    let elsewhere = true;
    run.followedElsewhere = async () => {
      asked += 1;
      return elsewhere;
    };
    const listener = {};
    run.attach(listener);
    run.detach(listener, 1);
    while (asked < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal(run.cancelled, false, 'still going while someone follows elsewhere');
    elsewhere = false;
    while (!run.cancelled) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.ok(asked >= 3);
  });
});

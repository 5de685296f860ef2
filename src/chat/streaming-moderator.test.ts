import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { CheckRequest, CheckVerdict, ContentChecker } from '../moderation/content-checker.js';
import { StreamingModerator } from './streaming-moderator.js';

/** A checker whose verdicts the test hands out one by one. */
function manualChecker() {
  const calls: Array<{ request: CheckRequest; answer: (v: CheckVerdict | Error) => void }> = [];
  const checker: ContentChecker = {
    name: 'manual',
    check: (request) =>
      new Promise((resolve, reject) => calls.push({ request, answer: (v) => (v instanceof Error ? reject(v) : resolve(v)) })),
  };
  return { checker, calls };
}

const log = pino({ level: 'silent' });
const window = { minChars: 10, maxAgeMs: 60_000, maxChars: 40, overlapChars: 2 };
const pass: CheckVerdict = { verdict: 'pass' };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamingModerator', () => {
  it('cuts windows at sentence ends, keeps one check in flight and batches what arrives meanwhile', async () => {
    const { checker, calls } = manualChecker();
    const flagged: string[] = [];
    const m = new StreamingModerator({ checker, mode: 'both', failOpen: false }, 'o1', log, (l) => flagged.push(l), window);
    m.push('短句。');
    assert.equal(calls.length, 0, 'below minChars: no check yet');
    m.push('这是第二个句子，比较长。还没');
    assert.deepEqual(calls.map((c) => c.request.text), ['短句。这是第二个句子，比较长。']);
    assert.equal(calls[0]!.request.scene, 'answer');
    m.push('结束的第三句。第四句也来了。第五');
    assert.equal(calls.length, 1, 'one check in flight: the rest waits');
    calls[0]!.answer(pass);
    await tick();
    // the next window: the overlap (last 2 characters) + everything up to the last sentence end
    assert.deepEqual(calls.map((c) => c.request.text).slice(1), ['长。还没结束的第三句。第四句也来了。']);
    const finished = m.finish();
    assert.equal(calls[2]!.request.text, '了。第五', 'finish checks the rest at once, sentence end or not, beside the one in flight');
    calls[1]!.answer(pass);
    calls[2]!.answer(pass);
    assert.equal(await finished, undefined);
    assert.equal(m.checks, 3);
    assert.deepEqual(flagged, []);
  });

  it('a hard cut at maxChars when no sentence ends', () => {
    const { checker, calls } = manualChecker();
    const m = new StreamingModerator({ checker, mode: 'both', failOpen: false }, 'o1', log, () => undefined, window);
    m.push('字'.repeat(45));
    assert.equal(calls[0]!.request.text.length, 40);
  });

  it('a risky window calls onRisky once; text after it is never checked', async () => {
    const { checker, calls } = manualChecker();
    const flagged: string[] = [];
    const m = new StreamingModerator({ checker, mode: 'both', failOpen: true }, 'o1', log, (l) => flagged.push(l), window);
    m.push('一句有问题的话在这里。');
    calls[0]!.answer({ verdict: 'risky', label: 'porn', checker: 'manual' });
    await tick();
    m.push('后面的话。'.repeat(5));
    assert.equal(await m.finish(), 'porn');
    assert.deepEqual(flagged, ['porn']);
    assert.equal(calls.length, 1);
  });

  it('a failing checker: fail-open passes, fail-closed withdraws as unchecked', async () => {
    for (const failOpen of [true, false]) {
      const { checker, calls } = manualChecker();
      const m = new StreamingModerator({ checker, mode: 'both', failOpen }, 'o1', log, () => undefined, window);
      m.push('一句普通的话在这里。');
      calls[0]!.answer(new Error('WeChat down'));
      assert.equal(await m.finish(), failOpen ? undefined : 'unchecked');
    }
  });
});

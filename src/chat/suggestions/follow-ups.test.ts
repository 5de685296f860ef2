import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FollowUps, type AnswerSuggestions } from './follow-ups.js';

describe('FollowUps', () => {
  it('hands the suggestions to every waiter, once', () => {
    const followUps = new FollowUps('a1');
    const got: AnswerSuggestions[] = [];
    followUps.wait((s) => got.push(s));
    followUps.wait((s) => got.push(s));
    assert.equal(followUps.wanted, true);
    followUps.offer(['可以换货吗？']);
    followUps.offer(['第二次？']);
    assert.deepEqual(got, [
      { id: 'a1', suggestions: ['可以换货吗？'] },
      { id: 'a1', suggestions: ['可以换货吗？'] },
    ]);
    assert.equal(followUps.wanted, false);
    followUps.wait(() => assert.fail('settled: nobody is called any more'));
  });

  it('an empty offer calls nobody', () => {
    const followUps = new FollowUps('a2');
    followUps.wait(() => assert.fail('no suggestions, no call'));
    followUps.offer([]);
    assert.equal(followUps.wanted, false);
  });

  it('generation is aborted when the last waiter stops waiting, not before', () => {
    const followUps = new FollowUps('a3');
    const signal = followUps.signal;
    const stopA = followUps.wait(() => assert.fail('stopped'));
    const stopB = followUps.wait(() => assert.fail('stopped'));
    stopA();
    stopA();
    assert.equal(signal.aborted, false);
    stopB();
    assert.equal(signal.aborted, true);
    assert.equal(followUps.wanted, false);
    followUps.offer(['来晚了？']);
  });

  it('nobody waiting: not wanted', () => {
    assert.equal(new FollowUps('a4').wanted, false);
  });
});

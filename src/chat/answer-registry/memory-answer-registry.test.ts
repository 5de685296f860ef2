import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerRun } from '../answer-run.js';
import { answerRegistryContract } from './answer-registry.contract.js';
import { MemoryAnswerRegistry } from './memory-answer-registry.js';

answerRegistryContract('memory', async () => new MemoryAnswerRegistry());

describe('MemoryAnswerRegistry', () => {
  it('forgets a request_id after the retention window (clock stepped, not waited)', async () => {
    let now = 0;
    const registry = new MemoryAnswerRegistry({ retentionSeconds: 600, now: () => now });
    const run = new AnswerRun('a1', 'o', 's', 'r');
    await registry.claim(run, { requestId: 'r', query: 'q' });
    run.finish({ id: 'a1', text: 't', status: 'complete' });
    now = 599_000;
    assert.equal((await registry.claim(new AnswerRun('a2', 'o', 's', 'r'), { requestId: 'r', query: 'q' })).kind, 'joined');
    now = 601_000;
    assert.equal((await registry.claim(new AnswerRun('a3', 'o', 's', 'r'), { requestId: 'r', query: 'q' })).kind, 'claimed');
  });

  it('remembers at most maxRequests request_ids, oldest forgotten first', async () => {
    const registry = new MemoryAnswerRegistry({ maxRequests: 2 });
    for (const n of [1, 2, 3]) {
      const run = new AnswerRun(`a${n}`, 'o', `s${n}`, n);
      await registry.claim(run, { requestId: n, query: 'q' });
      run.finish({ id: run.id, text: '', status: 'complete' });
    }
    assert.equal((await registry.claim(new AnswerRun('b3', 'o', 's3', 3), { requestId: 3, query: 'q' })).kind, 'joined');
    assert.equal((await registry.claim(new AnswerRun('b1', 'o', 's1', 1), { requestId: 1, query: 'q' })).kind, 'claimed');
  });
});

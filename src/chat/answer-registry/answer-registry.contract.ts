import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AnswerRun, type AnswerResult } from '../answer-run.js';
import type { AnswerRegistry } from './answer-registry.js';

/**
 * What every AnswerRegistry driver promises, run against memory and a real Redis alike
 * (answer-registry.*.test.ts). `make` returns a fresh, empty registry.
 */
export function answerRegistryContract(driver: string, make: () => Promise<AnswerRegistry>): void {
  const newRun = (ownerKey: string, requestId?: string) => new AnswerRun(randomUUID(), `openid-${ownerKey}`, ownerKey, requestId);
  const result = (run: AnswerRun, text: string): AnswerResult => ({ id: run.id, text, status: 'complete' });

  describe(`AnswerRegistry contract: ${driver}`, () => {
    it('one answer per session: a second claim is busy until the first ends', async () => {
      const registry = await make();
      try {
        const session = `s-${randomUUID()}`;
        const first = newRun(session);
        assert.deepEqual(await registry.claim(first), { kind: 'claimed' });
        assert.equal(registry.local(session), first);
        assert.equal(await registry.find(session), first);
        assert.ok(registry.localRuns().includes(first));
        assert.deepEqual(await registry.claim(newRun(session)), { kind: 'busy' });
        assert.deepEqual(await registry.claim(newRun(`other-${session}`)), { kind: 'claimed' }, 'other sessions are free');

        first.finish(result(first, '好'));
        assert.equal(registry.local(session), undefined, 'released before any listener hears the end');
        assert.equal(await registry.find(session), undefined);
        assert.deepEqual(await registry.claim(newRun(session)), { kind: 'claimed' });
      } finally {
        await registry.close();
      }
    });

    it('a retried request joins its answer in flight, then gets its result; another question is another request', async () => {
      const registry = await make();
      try {
        const session = `s-${randomUUID()}`;
        const run = newRun(session, 'r-1');
        assert.deepEqual(await registry.claim(run, { requestId: 'r-1', query: '问' }), { kind: 'claimed' });
        const retry = await registry.claim(newRun(session, 'r-1'), { requestId: 'r-1', query: '问' });
        assert.equal(retry.kind, 'joined');
        assert.equal(retry.kind === 'joined' && retry.run, run, 'the very run in flight');
        assert.deepEqual(await registry.claim(newRun(session, 'r-1'), { requestId: 'r-1', query: '别的' }), { kind: 'busy' });

        run.finish(result(run, '答案'));
        const late = await registry.claim(newRun(session, 'r-1'), { requestId: 'r-1', query: '问' });
        assert.equal(late.kind, 'joined');
        const ended = late.kind === 'joined' ? await late.run.done : undefined;
        assert.deepEqual([ended?.id, ended?.text, ended?.status], [run.id, '答案', 'complete']);
        assert.equal(registry.local(session), undefined, 'joining a finished answer claims nothing');
        assert.deepEqual(await registry.claim(newRun(session, 'r-1'), { requestId: 'r-1', query: '别的' }), { kind: 'claimed' });
      } finally {
        await registry.close();
      }
    });

    it('a withdrawn claim leaves nothing: the session is free and the request unknown', async () => {
      const registry = await make();
      try {
        const session = `s-${randomUUID()}`;
        const run = newRun(session, 'w');
        await registry.claim(run, { requestId: 'w', query: '问' });
        await registry.withdraw(run);
        assert.equal(registry.local(session), undefined);
        const again = newRun(session, 'w');
        assert.deepEqual(await registry.claim(again, { requestId: 'w', query: '问' }), { kind: 'claimed' });
        again.finish(result(again, ''));
      } finally {
        await registry.close();
      }
    });
  });
}

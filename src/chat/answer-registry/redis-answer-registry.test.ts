import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { until } from '../../../test/support/wait.js';
import { AnswerRun, type AnswerDelta } from '../answer-run.js';
import type { LostAnswer } from './answer-registry.js';
import { answerRegistryContract } from './answer-registry.contract.js';
import { createRedisAnswerRegistry } from './create-redis-answer-registry.js';
import { AnswerKeys } from './redis-answer-keys.js';
import type { RedisAnswerRegistry } from './redis-answer-registry.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefixes: string[] = [];

/** Registries on one fresh prefix: several of them are several instances of one deployment. */
function deployment(leaseMs = 10_000) {
  const prefix = `wag-answers-${randomBytes(4).toString('hex')}:`;
  prefixes.push(prefix);
  const errors: Error[] = [];
  const instance = (name: string): Promise<RedisAnswerRegistry> =>
    createRedisAnswerRegistry({ url, prefix, instanceId: name, leaseMs, maxDeltas: 1_000, watchMs: 3_000, onError: (error) => errors.push(error) });
  return { instance, errors, prefix };
}

after(async () => {
  const redis = new Redis(url);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

answerRegistryContract('redis', () => deployment().instance('contract'));

describe('RedisAnswerRegistry across instances', () => {
  const newRun = (session: string, requestId?: string) => new AnswerRun(randomUUID(), 'openid-1', session, requestId);

  it('another instance mirrors the answer: deltas so far, then live, then the result; its cancel reaches the owner', async () => {
    const { instance, errors } = deployment();
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    try {
      const session = `s-${randomUUID()}`;
      const run = newRun(session, 'rid-7');
      assert.deepEqual(await a.claim(run), { kind: 'claimed' });
      run.emitProgress('searching', '检索');
      run.emitDelta('一');
      run.emitDelta('二');
      assert.deepEqual(await b.claim(newRun(session)), { kind: 'busy' }, 'one answer per session on every instance');

      await until(async () => (await b.find(session))?.deltas.length === 2, 'the mirror loads the deltas so far');
      const mirror = (await b.find(session))!;
      assert.notEqual(mirror, run);
      assert.deepEqual([mirror.id, mirror.requestId], [run.id, 'rid-7']);
      assert.equal(await b.find(session), mirror, 'one mirror per answer');
      const live: AnswerDelta[] = [];
      let ended: string | undefined;
      mirror.attach({ delta: (d) => live.push(d), done: (result) => (ended = result.status) });
      run.emitDelta('三');
      await until(() => live.length === 1, 'the live delta');
      assert.deepEqual(live, [{ id: run.id, index: 2, delta: '三' }]);

      mirror.cancel();
      await until(() => run.cancelled, 'the owner cancelled by the other instance');
      run.text = '一二三';
      run.finish({ id: run.id, text: '一二三', status: 'cancelled' });
      await until(() => ended !== undefined, 'the result through the stream');
      assert.equal(ended, 'cancelled');
      assert.equal(await b.find(session), undefined);
      assert.deepEqual(await b.ended(session, run.id), { id: run.id, text: '一二三', status: 'cancelled' });
      assert.deepEqual(errors, []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a retry on another instance joins the answer in flight (mirrored) and later gets the kept result', async () => {
    const { instance } = deployment();
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    try {
      const session = `s-${randomUUID()}`;
      const run = newRun(session, 'x');
      await a.claim(run, { requestId: 'x', query: '问' });
      run.emitDelta('半');
      const joined = await b.claim(newRun(session, 'x'), { requestId: 'x', query: '问' });
      assert.equal(joined.kind, 'joined');
      const mirror = joined.kind === 'joined' ? joined.run : undefined;
      assert.equal(mirror?.id, run.id);
      assert.deepEqual(mirror?.deltas, ['半']);
      run.finish({ id: run.id, text: '半', status: 'complete', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } });
      assert.equal((await mirror!.done).usage?.totalTokens, 2);
      const late = await b.claim(newRun(session, 'x'), { requestId: 'x', query: '问' });
      assert.equal(late.kind === 'joined' && (await late.run.done).text, '半');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a client following on another instance keeps the owner from cancelling after its grace period', async () => {
    const { instance } = deployment();
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    try {
      const session = `s-${randomUUID()}`;
      const run = newRun(session);
      await a.claim(run);
      assert.equal(await run.followedElsewhere!(), false);
      const mirror = (await b.find(session))!;
      mirror.attach({});
      await until(() => run.followedElsewhere!(), 'the heartbeat of the follower on b', 8_000, 50);
      run.finish({ id: run.id, text: '', status: 'complete' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an instance that dies mid-answer: once its lease runs out, one survivor ends the answer as lost and stores it once', async () => {
    const { instance } = deployment(1_000);
    const [a, b, c] = await Promise.all([instance('a'), instance('b'), instance('c')]);
    const lost: Array<[string, LostAnswer]> = [];
    b.onLost(async (answer) => void lost.push(['b', answer]));
    c.onLost(async (answer) => void lost.push(['c', answer]));
    try {
      const session = `s-${randomUUID()}`;
      const run = newRun(session);
      await a.claim(run);
      run.emitDelta('说到');
      run.emitDelta('一半');
      const [onB, onC] = [(await b.find(session))!, (await c.find(session))!];
      await a.close(); // stops renewing: the process is gone as far as Redis can tell
      const [resultB, resultC] = await Promise.all([onB.done, onC.done]);
      for (const result of [resultB, resultC]) {
        assert.deepEqual([result.status, result.text, result.error?.reason], ['failed', '说到一半', 'instance_lost']);
      }
      await until(() => lost.length > 0, 'the lost answer handed over for storing');
      assert.equal(lost.length, 1, 'one winner');
      assert.deepEqual(lost[0]![1], { id: run.id, openid: 'openid-1', text: '说到一半' });
      assert.deepEqual(await b.claim(newRun(session)), { kind: 'claimed' }, 'the session is free again');
    } finally {
      await Promise.all([b.close(), c.close()]);
    }
  });

  it('an answer lost with nobody following is ended by the next claim of its session, before the new answer starts', async () => {
    const { instance } = deployment(1_000);
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    const lost: LostAnswer[] = [];
    b.onLost(async (answer) => void lost.push(answer));
    try {
      const session = `s-${randomUUID()}`;
      const orphan = newRun(session);
      await a.claim(orphan);
      orphan.emitDelta('没说完');
      await a.close();
      let claim;
      const next = newRun(session);
      await until(async () => (claim = await b.claim(next)).kind === 'claimed', 'the lease to run out', 8_000, 100);
      assert.deepEqual(lost, [{ id: orphan.id, openid: 'openid-1', text: '没说完' }], 'stored before the claim returned');
      assert.equal((await b.ended(session, orphan.id))?.error?.reason, 'instance_lost');
      next.finish({ id: next.id, text: '', status: 'complete' });
    } finally {
      await b.close();
    }
  });

  it('a withdrawn answer never comes back from the stream: followers see the retraction, a late mirror no text', async () => {
    const { instance, prefix } = deployment();
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    try {
      const session = `s-${randomUUID()}`;
      const run = newRun(session);
      await a.claim(run);
      run.emitDelta('有风险');
      const early = (await b.find(session))!;
      const notices: string[] = [];
      early.attach({ retract: (r) => notices.push(r.message) });
      run.emitDelta('的话');
      run.retract('risky', '该回答已撤回');
      await until(() => notices.length === 1, 'the retraction on the other instance');
      assert.deepEqual([notices[0], early.deltas], ['该回答已撤回', []]);
      const c = await instance('c');
      const late = (await c.find(session))!;
      assert.deepEqual([late.deltas, late.retracted !== undefined], [[], true]);
      const redis = new Redis(url);
      const entries = await redis.xrange(new AnswerKeys(prefix).session(session).answer(run.id).stream, '-', '+');
      await redis.quit();
      assert.deepEqual(entries.map(([, fields]) => fields[1]), ['r'], 'no delta left in the stream');
      run.finish({ id: run.id, text: '该回答已撤回', status: 'retracted' });
      assert.equal((await late.done).status, 'retracted');
      await c.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { watchProcess } from '../../../test/support/hostile-watch.js';
import { startRedis } from '../../../test/support/redis-server.js';
import { freePort } from '../../../test/support/spawn-server.js';
import { startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { until } from '../../../test/support/wait.js';
import { AnswerRun } from '../answer-run.js';
import { createRedisAnswerRegistry } from './create-redis-answer-registry.js';

/*
 * The cancel subscription across reconnects, against a private redis-server the test can cut
 * and hang: the registry subscribes again by itself, and a shutdown that lands while the
 * subscriber is half-way through reconnecting leaves nothing unhandled behind.
 */
describe('RedisAnswerRegistry: its cancel subscription across reconnects', () => {
  const setup = async () => {
    const redis = await startRedis(await freePort());
    after(() => redis.stop());
    // the registry reaches Redis through a proxy that can hold a reply back
    const proxy = await startTcpProxy(redis.port);
    after(() => proxy.close());
    const admin = new Redis(redis.port, '127.0.0.1');
    after(() => admin.disconnect());
    const errors: Error[] = [];
    const url = `redis://127.0.0.1:${proxy.port}`;
    const registry = await createRedisAnswerRegistry({ url, prefix: 'wag:', instanceId: 'a', leaseMs: 10_000, maxDeltas: 100, onError: (error) => errors.push(error) });
    const subscribers = async () => ((await admin.pubsub('NUMSUB', 'wag:ans:cancel')) as [string, number])[1];
    return { proxy, admin, registry, errors, subscribers };
  };

  it('subscribes again after Redis drops the connection: a cancel published then still stops the answer', async () => {
    const { admin, registry, subscribers } = await setup();
    try {
      const run = new AnswerRun(randomUUID(), 'openid-1', `s-${randomUUID()}`);
      assert.deepEqual(await registry.claim(run), { kind: 'claimed' });
      assert.equal(await subscribers(), 1);
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await until(async () => (await subscribers()) === 1, 'subscribed again', 5_000, 20);
      await admin.publish('wag:ans:cancel', run.id);
      await until(() => run.cancelled, 'the cancel reaches the owner', 5_000, 10);
    } finally {
      await registry.close();
    }
  });

  it('a close while the subscriber is reconnecting (its ready check unanswered) ends cleanly: no unhandled rejection, no error', async () => {
    const { proxy, admin, registry, errors } = await setup();
    const watch = watchProcess();
    try {
      // the subscriber reconnects; the answer to its ready check (INFO) is held back
      const held = proxy.holdNextReply('redis_version');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await held;
      const closed = registry.close();
      await sleep(50);
      // the answer arrives after the close began: the client takes itself for ready a moment
      proxy.release();
      await closed;
      await sleep(200);
      watch.assertClean();
      assert.deepEqual(errors.map(String), []);
    } finally {
      watch.stop();
    }
  });
});

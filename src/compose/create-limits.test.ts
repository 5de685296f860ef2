import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { loadConfig } from '../config/load-config.js';
import { captureLogger } from '../../test/support/capture-logger.js';
import { startRedis } from '../../test/support/redis-server.js';
import { freePort } from '../../test/support/spawn-server.js';
import { LimitExceededError } from '../limits/limit-exceeded-error.js';
import { createLimits } from './create-limits.js';

/*
 * The limiter's own Redis connection as the composition root tunes it (auto-pipelined, no
 * offline queue, 500 ms per command): checks made in one event-loop turn share a write, and a
 * Redis that hangs or dies turns every check into an allow (fail-open) instead of a stuck chat.
 */
it('REDIS_URL limits: concurrent checks count exactly; a hung Redis and a dead one fail open, and counting resumes', async () => {
  const redis = await startRedis(await freePort());
  after(() => redis.stop());
  const { logger, lines } = captureLogger('info');
  const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, USER_CHATS_PER_MINUTE: '30' });
  const limits = await createLimits(config, logger);
  try {
    // 30 at once from one user: exactly 30 go through, in whatever writes they were batched
    await Promise.all(Array.from({ length: 30 }, () => limits.admitChat('u1')));
    await assert.rejects(limits.admitChat('u1'), (error) => LimitExceededError.is(error) && error.kind === 'chat_rate');
    assert.equal((await limits.status('u2'))?.chatsLeft, 30);

    redis.pause();
    const hung = await Promise.allSettled(Array.from({ length: 5 }, () => limits.admitChat('u2')));
    assert.deepEqual(hung.map((r) => r.status), Array(5).fill('fulfilled'), 'a hung Redis must not hold chats back');
    assert.ok(lines.some((line) => line.includes('fail-open')), 'the outage is logged');
    redis.resume();
    // the replies the paused server owed arrive now; the client drops them (their commands timed out)
    await limits.admitChat('u2');
    assert.ok(((await limits.status('u2'))?.chatsLeft ?? 0) < 30, 'counting again once Redis answers');

    await redis.stop();
    await limits.admitChat('u3');
  } finally {
    await limits.close();
  }
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../observability/logger.js';
import { LimitExceededError } from './limit-exceeded-error.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { UsageLimits } from './usage-limits.js';
import { freePort } from '../../test/support/spawn-server.js';

const settings = { userChatsPerMinute: 1, userTokensPerDay: 100, ipLoginsPerMinute: 1, ipConnectionsPerMinute: 1 };

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

it('fail-open: with Redis unreachable every check allows, and one warning is logged for the outage', async () => {
  const client = new Redis({ host: '127.0.0.1', port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  const { lines, logger } = capture();
  const limits = new UsageLimits(new RedisRateLimiter(client, { prefix: 'unused:' }), settings, logger);
  for (let i = 0; i < 3; i++) {
    await limits.admitChat('o1');
    await limits.admitLogin('127.0.0.1');
    await limits.admitConnection('127.0.0.1');
  }
  limits.recordAnswer('o1', Promise.resolve({ usage: { promptTokens: 500, completionTokens: 500, totalTokens: 1000 } }));
  assert.equal(await limits.status('o1'), undefined, 'no limits shown while they cannot be read');
  const warnings = lines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.msg, /fail-open/);
  client.disconnect();
});

it('tokens: counted after the answer (prompt + completion); answers without usage count nothing', async () => {
  const { logger } = capture();
  const limits = new UsageLimits(new MemoryRateLimiter(), { ...settings, userChatsPerMinute: 0 }, logger);
  const done = Promise.resolve({ usage: { promptTokens: 60, completionTokens: 50, totalTokens: 110 } });
  limits.recordAnswer('o1', Promise.resolve({}));
  await limits.admitChat('o1');
  limits.recordAnswer('o1', done);
  await done;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await limits.status('o1'), { chatsPerMinute: 0, chatsLeft: null, tokensPerDay: 100, tokensLeft: 0 });
  await assert.rejects(limits.admitChat('o1'), (error) => LimitExceededError.is(error) && error.kind === 'token_quota');
  await limits.close();
});

it('transcription seconds: counted after the recording, refused once the day is used up, off at 0', async () => {
  const { logger } = capture();
  const limits = new UsageLimits(new MemoryRateLimiter(), { ...settings, userAsrSecondsPerDay: 60 }, logger);
  await limits.admitTranscription('o1');
  await limits.recordTranscription('o1', 45);
  await limits.admitTranscription('o1');
  await limits.recordTranscription('o1', 20);
  await assert.rejects(limits.admitTranscription('o1'), (error) => LimitExceededError.is(error) && error.kind === 'asr_quota' && error.retryAfterSeconds >= 1);
  await limits.admitTranscription('o2');
  const off = new UsageLimits(new MemoryRateLimiter(), { ...settings, userAsrSecondsPerDay: 0 }, logger);
  await off.recordTranscription('o1', 1_000_000);
  await off.admitTranscription('o1');
});

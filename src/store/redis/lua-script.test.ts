import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
after(() => client.quit());

describe('LuaScript (real Redis)', () => {
  it('runs a script Redis has never seen (NOSCRIPT → EVAL), then by its SHA1 alone', async () => {
    // a body no other run has loaded: the first EVALSHA must miss
    const script = new LuaScript(`-- ${randomBytes(8).toString('hex')}\nreturn ARGV[1] .. KEYS[1]`);
    assert.deepEqual(await client.script('EXISTS', script.sha), [0]);
    assert.equal(await script.run(client, ['k'], ['v']), 'vk');
    assert.deepEqual(await client.script('EXISTS', script.sha), [1], 'cached by the fallback EVAL');
    assert.equal(await script.run(client, ['2'], ['1']), '12');
  });

  it('passes a script error on', async () => {
    const script = new LuaScript(`-- ${randomBytes(8).toString('hex')}\nreturn redis.call('INCR', KEYS[1])`);
    const key = `wag-test-${randomBytes(4).toString('hex')}:notanumber`;
    await client.set(key, 'x');
    await assert.rejects(script.run(client, [key], []), /not an integer/);
    await client.del(key);
  });
});

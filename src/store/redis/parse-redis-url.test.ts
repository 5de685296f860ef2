import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedisUrl } from './parse-redis-url.js';

describe('parseRedisUrl', () => {
  it('passes a single-server URL through unchanged (ioredis parses it)', () => {
    assert.deepEqual(parseRedisUrl('redis://:pw@10.0.0.5:6380/2'), { kind: 'single', url: 'redis://:pw@10.0.0.5:6380/2' });
    assert.deepEqual(parseRedisUrl('rediss://cache.example.com'), { kind: 'single', url: 'rediss://cache.example.com' });
  });

  it('reads Sentinels, the master name, credentials, db and the sentinel password', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://app:p%40ss@s1:26379,s2:26380,s3/mymaster?db=3&sentinelPassword=sp'), {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26379 },
      ],
      name: 'mymaster',
      username: 'app',
      password: 'p@ss',
      sentinelPassword: 'sp',
      db: 3,
      tls: false,
    });
  });

  it('takes a password containing @ and / (the host list starts after the last @)', () => {
    const target = parseRedisUrl('rediss+sentinel://:a@b/c@10.0.0.1/m');
    assert.deepEqual(target, { kind: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }], name: 'm', password: 'a@b/c', db: 0, tls: true });
  });

  it('reads cluster seed nodes, IPv6 included, with TLS', () => {
    assert.deepEqual(parseRedisUrl('rediss+cluster://:pw@n1:7000,[::1]:7001,n3'), {
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      password: 'pw',
      tls: true,
    });
  });

  it('refuses what it cannot use, saying what is wrong and never echoing the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://h:6379', /must start with redis:\/\//],
      ['redis+sentinel://:secret@s1:26379', /names no master/],
      ['redis+sentinel://:secret@s1:26379/m?db=x', /db must be/],
      ['redis+cluster://:secret@n1:7000/0', /no database number/],
      ['redis+cluster://:secret@n1:99999', /invalid port/],
      ['redis+cluster://:secret@n1:7000,,n2', /invalid host/],
      ['redis+mesh://h', /must start with/],
    ];
    for (const [url, expected] of cases) {
      assert.throws(() => parseRedisUrl(url), (error: Error) => {
        assert.match(error.message, expected, url);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      });
    }
  });
});

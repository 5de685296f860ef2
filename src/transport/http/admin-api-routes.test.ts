import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { RedisAdminStore } from '../../admin/redis/redis-admin-store.js';
import { createJiebaTokenizer } from '../../knowledge-base/index/tokenizer.js';
import { createRedisClient } from '../../store/redis/create-redis-client.js';
import { adminApiRoutes } from './admin-api-routes.js';
import { freePort } from '../../../test/support/spawn-server.js';

const TOKEN = 'route-test-token-0123456789';

test('a store that is down answers 503 store_unavailable, before any export byte is sent', async () => {
  const client = createRedisClient(`redis://127.0.0.1:${await freePort()}`, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  client.on('error', () => {});
  const store = new RedisAdminStore(client, 'x:', createJiebaTokenizer(), async () => client.disconnect());
  const app = Fastify();
  await app.register(adminApiRoutes, { store, adminToken: TOKEN });
  const headers = { authorization: `Bearer ${TOKEN}` };
  for (const url of ['/admin/api/conversations', '/admin/api/conversations/abc', '/admin/api/feedback', '/admin/api/usage', '/admin/api/export?format=csv']) {
    const res = await app.inject({ method: 'GET', url, headers });
    assert.equal(res.statusCode, 503, url);
    assert.equal(res.json().data.reason, 'store_unavailable', url);
    assert.equal(res.headers['content-disposition'], undefined, url);
  }
  await app.close();
  await store.close();
});

test('a GET with a junk body is answered as without one', async () => {
  const app = Fastify();
  const { registerHttpErrors } = await import('./http-errors.js');
  const { createLogger } = await import('../../observability/logger.js');
  const { Writable } = await import('node:stream');
  registerHttpErrors(app, createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }));
  const client = createRedisClient('redis://127.0.0.1:6379', { lazyConnect: true });
  const store = new RedisAdminStore(client, `wag-test-none-${Date.now()}:`, createJiebaTokenizer(), async () => client.disconnect());
  await app.register(adminApiRoutes, { store, adminToken: TOKEN });
  const res = await app.inject({
    method: 'GET',
    url: '/admin/api/conversations?limit=1',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    payload: '{"broken": ',
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().data.items, []);
  const post = await app.inject({ method: 'POST', url: '/admin/api/conversations', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(post.statusCode, 404, 'read-only: other methods are unknown paths');
  assert.equal(post.json().data.reason, 'not_found');
  await app.close();
  await store.close();
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePort, serverCommand, spawnServer, startFlags } from './support/spawn-server.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

// the real Redis of the test environment, under a prefix no other test uses
const prefix = `wag-workers-${randomUUID()}:`;
after(async () => {
  const admin = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

describe('WORKERS=2: two worker processes behind one port', () => {
  it('many connections chat and share history across workers; SIGTERM drains both, the answer in flight completes, the primary exits 0', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 20 });
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'test-key',
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_MS: '15000',
    };
    const server = await spawnServer({ ...env, WORKERS: '2' });
    const lines = () => server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    let later: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      await until(() => lines().filter((l) => l.msg === 'worker listening').length === 2, 'both workers listening', 30_000, 50);
      // npm start's Node flags (the young-generation cap) reach the workers too: they hold the sockets
      for (const { pid } of lines().filter((l) => l.msg === 'worker listening')) {
        const argv = readFileSync(`/proc/${pid as number}/cmdline`, 'utf8').split('\0');
        for (const flag of startFlags()) assert.ok(argv.includes(flag), `worker ${pid} runs with ${flag}: ${argv.join(' ')}`);
      }

      // 4 users × 3 connections each; the primary deals connections out round-robin
      const users = ['w_alice', 'w_bob', 'w_carol', 'w_dave'];
      const connections = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => ({ user: users[i % 4]!, ...(await WsTestClient.loggedIn(server.wsUrl, users[i % 4])) })),
      );
      for (const { login } of connections) assert.equal(login.code, 0);
      // users chat at the same time; one user's connections (on different workers) take turns,
      // so each prompt's history holds that user's earlier turns from the other worker
      await Promise.all(
        users.map(async (_, u) => {
          for (const i of [u, u + 4, u + 8]) {
            const { client } = connections[i]!;
            client.send({ type: 'chat', query: `问题 ${i}` });
            const response = await client.nextOf('chat_response', 15_000);
            assert.equal(response.data.msg, `收到：问题 ${i}`);
          }
        }),
      );
      const servedBy = new Set(lines().filter((l) => l.msg === 'logged in').map((l) => l.worker));
      assert.ok(servedBy.has(1) && servedBy.has(2), `both workers served logins: ${[...servedBy].join(',')}`);

      // a new connection (whichever worker it lands on) sees every turn its user had on any worker
      for (const [u, user] of users.entries()) {
        const { client } = await WsTestClient.loggedIn(server.wsUrl, user);
        client.send({ type: 'history', limit: 50 });
        const contents = new Set((await client.nextOf('history_response')).data.messages.map((m: { content: string }) => m.content));
        for (const i of [u, u + 4, u + 8]) {
          assert.ok(contents.has(`问题 ${i}`) && contents.has(`收到：问题 ${i}`), `${user} sees turn ${i}`);
        }
        assert.equal(contents.size, 6);
        await client.close();
      }

      // two long answers in flight (on both workers, round-robin), then SIGTERM to the primary
      llm.setReply(() => '长'.repeat(120)); // 60 deltas × 20 ms
      const streaming = connections.slice(0, 2);
      for (const { client } of streaming) client.send({ type: 'chat', query: '讲个长的', stream: true });
      for (const { client } of streaming) await client.nextOf('chat_delta', 10_000);
      server.child.kill('SIGTERM');
      // an impatient second SIGTERM (a supervisor, a double Ctrl-C) must not cut the drain short
      await until(() => lines().some((l) => l.msg === 'signal received: draining every worker'), 'the drain line', 5_000, 10);
      server.child.kill('SIGTERM');
      for (const { client } of streaming) {
        const response = await client.nextOf('chat_response', 20_000);
        assert.equal(response.data.status ?? 'complete', 'complete', 'the answer in flight finishes during the drain');
        assert.equal(response.data.msg, '长'.repeat(120));
        assert.equal((await client.closed).code, 1001);
      }
      for (const { client } of connections.slice(2)) assert.equal((await client.closed).code, 1001);
      assert.equal(await server.exited, 0, server.output());
      const stopped = lines().filter((l) => l.msg === 'worker stopped');
      assert.deepEqual(stopped.map((l) => l.code), [0, 0], 'both workers ran their graceful shutdown');

      // the drained answers were stored: another process on the same Redis lists them
      later = await spawnServer(env);
      const { client } = await WsTestClient.loggedIn(later.wsUrl, streaming[0]!.user);
      client.send({ type: 'history', limit: 50 });
      const messages = (await client.nextOf('history_response')).data.messages as Array<{ content: string }>;
      assert.equal(messages.at(-1)?.content, '长'.repeat(120));
      await client.close();
    } finally {
      await server.stop();
      await later?.stop();
      await llm.close();
    }
  });

  it('serves every worker\'s metrics summed on METRICS_PORT; restarts a worker that dies, with a logged backoff, while the other keeps serving', async () => {
    const metricsPort = await freePort();
    const server = await spawnServer({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      LOG_FORMAT: 'json',
      WORKERS: '2',
      METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: 'scrape-token',
    });
    const lines = () => server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      await until(() => lines().filter((l) => l.msg === 'worker listening').length === 2, 'both workers listening', 30_000, 50);
      // four logins, dealt round-robin to both workers; the primary's scrape counts all four
      for (let i = 0; i < 4; i++) {
        const { client, login } = await WsTestClient.loggedIn(server.wsUrl, `metrics_${i}`);
        assert.equal(login.code, 0);
        await client.close();
      }
      assert.equal(new Set(lines().filter((l) => l.msg === 'logged in').map((l) => l.worker)).size, 2, 'both workers logged users in');
      const scrape = (token: string) => fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await scrape('wrong')).status, 401);
      const exposition = await (await scrape('scrape-token')).text();
      assert.match(exposition, /^wag_logins_total\{outcome="ok"\} 4$/m);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'the public port does not serve metrics');
      const victim = lines().find((l) => l.msg === 'worker listening')!;
      process.kill(victim.pid as number, 'SIGKILL');
      await until(() => lines().some((l) => l.msg === 'worker died: restarting it'), 'the crash line', 10_000, 50);
      const died = lines().find((l) => l.msg === 'worker died: restarting it')!;
      assert.equal(died.signal, 'SIGKILL');
      assert.equal(died.restartInMs, 1_000, 'the first crash in a minute waits 1 s');
      assert.equal((await fetch(`${server.url}/wechat/health`)).status, 200, 'the other worker answers meanwhile');
      await until(() => lines().filter((l) => l.msg === 'worker listening').length === 3, 'the replacement listening', 30_000, 50);
      assert.ok(lines().some((l) => l.msg === 'worker restarted' && l.replaces === victim.worker));
      const { client, login } = await WsTestClient.loggedIn(server.wsUrl, 'after_restart');
      assert.equal(login.code, 0);
      await client.close();
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start without Redis, or when the first worker cannot start, with one line and exit 1', async () => {
    const [node, args] = serverCommand();
    const run = (env: Record<string, string>) =>
      promisify(execFile)(node, args, { env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', HOST: '127.0.0.1', ...env } }).then(
        () => assert.fail('the process should have exited 1'),
        (error: { code: number; stderr: string }) => error,
      );
    const noRedis = await run({ WORKERS: '2', PORT: String(await freePort()) });
    assert.equal(noRedis.code, 1);
    assert.match(noRedis.stderr.trim(), /^配置错误 \/ configuration error: WORKERS=2 需要 REDIS_URL.*WORKERS=2 requires REDIS_URL[^\n]*$/);
    const deadRedis = await run({ WORKERS: '2', PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOG_FORMAT: 'json' });
    assert.equal(deadRedis.code, 1);
    assert.match(deadRedis.stderr, /启动失败 \/ startup failed: REDIS_URL is set but Redis does not answer/);
    assert.equal(deadRedis.stderr.match(/启动失败/g)?.length, 1, 'not restarted in a loop');
  });
});

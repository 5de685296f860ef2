import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import { SqliteHistoryStore } from '../src/store/sqlite/sqlite-history-store.js';
import { spawnServer } from './support/spawn-server.js';
import { startGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

describe('nothing is lost', () => {
  it('SQLite (the default): conversations and sessions survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-restart-'));
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    try {
      const first = await startGateway({ llm, dataDir });
      const { client, login } = await WsTestClient.loggedIn(first.wsUrl, 'durable_code');
      client.send({ type: 'chat', query: '重启前的问题' });
      await client.nextOf('chat_response');
      await client.close();
      await first.stop();

      const second = await startGateway({ llm, dataDir });
      const again = await WsTestClient.connect(second.wsUrl);
      await again.nextOf('connected');
      again.send({ type: 'login', session_id: login.data.session_id });
      assert.equal((await again.nextOf('login_response')).code, 0, 'session survived');
      again.send({ type: 'history' });
      const messages = (await again.nextOf('history_response')).data.messages;
      assert.deepEqual(
        messages.map((m: { content: string }) => m.content),
        ['重启前的问题', '收到：重启前的问题'],
      );
      await again.close();
      await second.stop();
    } finally {
      await llm.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('Redis: two gateways over one real Redis share sessions and history', async () => {
    const prefix = `wag-test-${randomBytes(4).toString('hex')}:`;
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const a = await startGateway({ llm, store: { redisPrefix: prefix } });
    const b = await startGateway({ llm, store: { redisPrefix: prefix } });
    try {
      const health = (await (await fetch(`${a.url}/wechat/health`)).json()) as any;
      assert.deepEqual(health.data.store, { driver: 'redis', ok: true });
      const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'redis_code');
      client.send({ type: 'chat', query: '在 A 上问' });
      await client.nextOf('chat_response');
      await client.close();

      const other = await WsTestClient.connect(b.wsUrl);
      await other.nextOf('connected');
      other.send({ type: 'login', session_id: login.data.session_id });
      assert.equal((await other.nextOf('login_response')).data.openid, login.data.openid);
      other.send({ type: 'history' });
      const messages = (await other.nextOf('history_response')).data.messages;
      assert.deepEqual(messages.map((m: { content: string }) => m.content), ['在 A 上问', '收到：在 A 上问']);
      await other.close();
    } finally {
      await a.stop();
      await b.stop();
      await llm.close();
      const redis = new Redis('redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('resume after a drop: missed deltas replayed, the rest streamed — every index exactly once', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 10, deltaChars: 1 });
    const gw = await startGateway({ llm, env: { STREAM_COALESCE_MS: '0' } });
    const full = '每一个字都不能丢，也不能重复。'.repeat(4);
    llm.setReply(() => full);
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'resumer');
      client.send({ type: 'chat', query: '讲', stream: true });
      const { data } = await client.nextOf('chat_processing');
      const received: Array<{ index: number; delta: string }> = [];
      for (let i = 0; i < 5; i++) received.push((await client.nextOf('chat_delta')).data);
      const run = gw.app.chat.activeRun(login.data.session_id)!;
      client.socket.terminate();
      // deltas keep coming while the phone is away
      await until(() => run.deltas.length > received.length + 2, 'deltas generated after the drop');

      const back = await WsTestClient.connect(gw.wsUrl);
      await back.nextOf('connected');
      back.send({ type: 'login', session_id: login.data.session_id });
      const relogin = await back.nextOf('login_response');
      assert.equal(relogin.data.pending_answer.id, data.id);
      assert.ok(relogin.data.pending_answer.next_index > received.length, 'the answer went on meanwhile');
      back.send({ type: 'resume', id: data.id, from_index: received.length });
      const response = await back.nextOf('chat_response', 10_000);
      for (const frame of response.skipped) if (frame.type === 'chat_delta') received.push(frame.data);
      assert.deepEqual(received.map((d) => d.index), received.map((_, i) => i), 'no gap, no duplicate');
      assert.equal(received.map((d) => d.delta).join(''), full);
      assert.equal(response.data.msg, full);

      back.send({ type: 'resume', id: data.id, from_index: 0 });
      const late = await back.nextOf('chat_response');
      assert.deepEqual([late.data.id, late.data.msg, late.data.status], [data.id, full, 'complete'], 'a finished answer comes from the store');
      back.send({ type: 'resume', id: 'unknown-answer' });
      assert.equal((await back.nextOf('error')).data.reason, 'answer_not_found');
      await back.close();
    } finally {
      await gw.stop();
      await llm.close();
    }
  });

  it('an answer whose socket dropped keeps going: the client resumes and gets it; nobody back → aborted', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 15 });
    const gw = await startGateway({ llm, env: { ANSWER_DETACH_GRACE_MS: '3000' } });
    try {
      llm.setReply(() => '断线后继续生成的回答。'.repeat(8));
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'dropper');
      client.send({ type: 'chat', query: '说长一点', stream: true });
      const processing = await client.nextOf('chat_processing');
      await client.nextOf('chat_delta');
      client.socket.terminate(); // the phone lost its network

      const back = await WsTestClient.connect(gw.wsUrl);
      await back.nextOf('connected');
      back.send({ type: 'login', session_id: login.data.session_id });
      const resumed = await back.nextOf('login_response');
      assert.equal(resumed.data.pending_answer.id, processing.data.id);
      const response = await back.nextOf('chat_response', 10_000);
      assert.equal(response.data.id, processing.data.id);
      assert.equal(response.data.msg, '断线后继续生成的回答。'.repeat(8));
      assert.equal(response.data.status, 'complete');
      await back.close();

      // Nobody comes back: after the grace period the upstream call is aborted, the partial kept.
      const aborted = llm.abortedCount();
      const shortGrace = await startGateway({ llm, env: { ANSWER_DETACH_GRACE_MS: '100' } });
      const lost = await WsTestClient.loggedIn(shortGrace.wsUrl, 'gone');
      lost.client.send({ type: 'chat', query: '说长一点', stream: true });
      await lost.client.nextOf('chat_delta');
      lost.client.socket.terminate();
      await until(() => llm.abortedCount() > aborted, 'the upstream abort after the grace period');
      assert.equal(llm.abortedCount(), aborted + 1, 'upstream aborted after the grace period');
      const stored = await shortGrace.stores.history.listRecent(lost.login.data.openid, 10);
      assert.equal(stored.at(-1)?.status, 'cancelled');
      await shortGrace.stop();
    } finally {
      await gw.stop();
      await llm.close();
    }
  });
  it('a question acknowledged (chat_processing) is stored, even when the process is killed right after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-kill-'));
    // the compiled server, offline (no model): answers come at once, writes are group-committed
    const server = await spawnServer({ DATA_DIR: dataDir, KB_LOAD_SAMPLE: 'false', WS_MAX_CONNECTIONS_PER_IP: '1000', IP_CONNECTIONS_PER_MINUTE: '1000', IP_LOGINS_PER_MINUTE: '1000' });
    try {
      const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => WsTestClient.loggedIn(server.wsUrl, `killed_${i}`)));
      const acked: Array<{ openid: string; query: string }> = [];
      let killed = false;
      for (const [i, { client, login }] of clients.entries()) {
        const query = `被杀之前的问题 ${i}`;
        client.socket.on('message', (data) => {
          if (JSON.parse(data.toString()).type !== 'chat_processing') return;
          acked.push({ openid: login.data.openid, query });
          if (!killed) server.child.kill('SIGKILL');
          killed = true;
        });
        client.send({ type: 'chat', query });
      }
      await server.exited;
      assert.ok(acked.length > 0, 'at least one question was acknowledged before the kill');
      const db = openSqlite(join(dataDir, 'gateway.sqlite'));
      const history = new SqliteHistoryStore(db);
      for (const { openid, query } of acked) {
        const stored = await history.listRecent(openid, 10);
        assert.ok(stored.some((m) => m.role === 'user' && m.content === query), `acknowledged question is stored: ${query}`);
      }
      db.close();
      await Promise.all(clients.map(({ client }) => client.close().catch(() => undefined)));
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/**
 * miniprogram/lib/chat-client.js under the wx shim (SocketTask over a real ws connection)
 * against the real gateway, through the mobile network's failures: drops mid-answer, sockets
 * dead without a close event, suspension, an unreachable server, an expired session.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');

/** fast timers: the defaults are seconds, tests run in milliseconds */
const FAST = {
  reconnect: { delay: 20, factor: 2, maxDelay: 200, jitter: 0.5 },
  heartbeat: { interval: 150, pongTimeout: 80, maxMissed: 2 },
  connectTimeout: 2000,
  requestTimeout: 3000,
  suspendAfter: 50,
};


interface Harness {
  env: WxEnvironment;
  client: any;
  answers: any[];
  states: Array<{ state: string; delay?: number; attempt?: number; at: number }>;
  errors: any[];
  out: any[];
  in: any[];
  /** deltas applied, as the page saw them */
  deltas(): Array<{ index: number; delta: string }>;
  finals(): any[];
  openSockets(): number;
}

function harness(url: string, overrides: Record<string, unknown> = {}, storage: Record<string, string> = {}): Harness {
  const env = createWxEnvironment({ root: ROOT });
  for (const [key, value] of Object.entries(storage)) env.storage.set(key, value);
  const { createChatClient } = env.require('lib/chat-client.js');
  const client = createChatClient({ url, ...FAST, ...overrides });
  const h: Harness = {
    env,
    client,
    answers: [],
    states: [],
    errors: [],
    out: [],
    in: [],
    deltas: () => h.answers.filter((a) => a.index !== undefined).map((a) => ({ index: a.index, delta: a.delta })),
    finals: () => h.answers.filter((a) => a.done),
    openSockets: () => env.sockets.filter((s) => s._ws.readyState === WebSocket.OPEN || s._ws.readyState === WebSocket.CONNECTING).length,
  };
  client.on('answer', (a: unknown) => h.answers.push(plain(a)));
  client.on('state', (s: any) => h.states.push({ ...plain(s), at: Date.now() }));
  client.on('error', (e: unknown) => h.errors.push(plain(e)));
  client.on('frame', (f: any) => (f.direction === 'out' ? h.out : h.in).push(plain(f.frame)));
  return h;
}

const ready = (h: Harness, count = 1) => until(() => h.states.filter((s) => s.state === 'ready').length >= count, `ready #${count}`);

/** The server side drops every socket, like a NAT timeout or a gateway restart behind a LB. */
function dropAll(gw: RunningGateway): void {
  for (const socket of gw.app.fastify.websocketServer.clients) socket.terminate();
}

function assertExactlyOnce(h: Harness, full: string): void {
  const deltas = h.deltas();
  assert.deepEqual(deltas.map((d) => d.index), deltas.map((_, i) => i), 'every index once, in order');
  assert.equal(deltas.map((d) => d.delta).join(''), full, 'the streamed text is the answer');
  const finals = h.finals();
  assert.equal(finals.length, 1, 'the answer ends once');
  assert.equal(finals[0].text, full);
  assert.equal(finals[0].status, 'complete');
}

describe('mini-program chat client against the real gateway', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const live: Harness[] = [];
  const make = (...args: Parameters<typeof harness>) => {
    const h = harness(...args);
    live.push(h);
    return h;
  };

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 8, deltaChars: 1 });
    gw = await startGateway({ llm, env: { STREAM_COALESCE_MS: '0', ANSWER_DETACH_GRACE_MS: '5000' } });
  });
  after(async () => {
    for (const h of live) h.client.stop();
    await gw.stop();
    await llm.close();
  });

  it('logs in with wx.login, keeps session_id in storage, streams an answer in order', async () => {
    llm.setReply(() => '你好！这是**流式**回答。');
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    assert.equal(h.env.loginCodes.length, 1);
    const login = h.in.find((f) => f.type === 'login_response');
    assert.equal(h.env.storage.get('wag_session_id'), login.data.session_id);
    assert.deepEqual(h.out[0], { type: 'login', code: h.env.loginCodes[0], request_id: h.out[0].request_id });

    const first = plain(h.client.chat('  你好  '));
    assert.deepEqual([first.query, first.status, first.done], ['你好', 'pending', false]);
    await until(() => h.finals().length === 1, 'the answer');
    assertExactlyOnce(h, '你好！这是**流式**回答。');
    const chat = h.out.find((f) => f.type === 'chat');
    assert.deepEqual({ ...chat, request_id: 0 }, { type: 'chat', query: '你好', use_auto_rag: false, stream: true, request_id: 0 });
    assert.ok(h.deltas().length > 5, 'deltas, not one block');

    const history = plain(await h.client.history(10));
    assert.deepEqual(history.map((m: any) => [m.role, m.content]), [['user', '你好'], ['assistant', '你好！这是**流式**回答。']]);
    assert.deepEqual(h.errors, []);
  });

  it('the server drops the socket mid-answer: reconnect, log in with the session, resume — the whole answer exactly once', async () => {
    const full = '断线不丢字，也不重复。'.repeat(6);
    llm.setReply(() => full);
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    h.client.chat('讲个长的');
    await until(() => h.deltas().length >= 6, 'some deltas');
    const before = h.deltas().length;
    let maxOpen = 0;
    const sampler = setInterval(() => (maxOpen = Math.max(maxOpen, h.openSockets())), 2);
    dropAll(gw);

    await until(() => h.finals().length === 1, 'the complete answer', 10_000);
    clearInterval(sampler);
    assertExactlyOnce(h, full);
    assert.equal(h.env.loginCodes.length, 1, 'resumed with session_id, no new wx.login code');
    const relogin = h.out.filter((f) => f.type === 'login');
    assert.equal(relogin.length, 2);
    assert.equal(relogin[1].session_id, h.env.storage.get('wag_session_id'));
    const pending = h.in.filter((f) => f.type === 'login_response')[1].data.pending_answer;
    const resume = h.out.find((f) => f.type === 'resume');
    assert.equal(resume.id, pending.id);
    assert.ok(resume.from_index >= before, 'asks only for what it has not got');
    assert.ok(maxOpen <= 1, `at most one socket at a time (saw ${maxOpen})`);
    assert.equal(h.env.sockets.length, 2);
    // a round trip on the same socket: whatever the server sent before its reply has arrived
    await h.client.history(1);
    assert.equal(h.finals().length, 1, 'no late duplicate');
  });

  it('the answer finished while the phone was away: resume returns the stored answer', async () => {
    const full = '离线期间已经生成完毕的回答。';
    llm.setReply(() => full);
    // a long first backoff: the answer ends before the client is back
    const h = make(gw.wsUrl, { reconnect: { delay: 1200, factor: 2, maxDelay: 1200, jitter: 0 } });
    h.client.start();
    await ready(h);
    h.client.chat('问');
    await until(() => h.deltas().length >= 2, 'some deltas');
    dropAll(gw);
    await until(() => h.finals().length === 1, 'the stored answer', 10_000);
    const finals = h.finals();
    assert.deepEqual([finals[0].text, finals[0].status], [full, 'complete']);
    assert.equal(h.in.filter((f) => f.type === 'login_response')[1].data.pending_answer, undefined, 'nothing pending any more');
    assert.ok(h.out.some((f) => f.type === 'resume'), 'asked for it by id');
    const deltas = h.deltas();
    assert.deepEqual(deltas.map((d) => d.index), deltas.map((_, i) => i), 'no duplicate delta either');
  });

  it('a socket dead without a close event (iOS background) is found by the heartbeat', async () => {
    const full = '心跳发现了死连接，回答依然完整。'.repeat(3);
    llm.setReply(() => full);
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    h.client.chat('测心跳');
    await until(() => h.deltas().length >= 3, 'some deltas');
    const silencedAt = Date.now();
    h.env.sockets[0]!._silence(); // frames stop, sends vanish, no close event
    await until(() => h.states.some((s) => s.state === 'waiting'), 'the heartbeat to notice');
    const noticed = h.states.find((s) => s.state === 'waiting')!;
    const bound = FAST.heartbeat.interval + FAST.heartbeat.maxMissed * FAST.heartbeat.pongTimeout;
    // nothing but the heartbeat can notice a silent socket; the bound allows for a busy machine
    assert.ok(noticed.at - silencedAt <= bound + 500, `noticed after ${noticed.at - silencedAt} ms (bound ${bound})`);
    assert.ok(h.out.filter((f) => f.type === 'ping').length === 0, 'pings are internal, not "frames out"');

    await until(() => h.finals().length === 1, 'the complete answer', 10_000);
    assertExactlyOnce(h, full);
    assert.equal(h.env.loginCodes.length, 1);
  });

  it('iOS suspend: only the global wx.onSocketClose fires; the client checks its socket and reconnects', async () => {
    const h = make(gw.wsUrl, { heartbeat: { interval: 60_000, pongTimeout: 200, maxMissed: 2 } });
    h.client.start();
    await ready(h);
    h.env.sockets[0]!._suspendClose();
    await ready(h, 2);
    assert.equal(h.env.sockets.length, 2);
    assert.equal(h.env.loginCodes.length, 1);
  });

  it('App.onShow after a suspension replaces the socket at once; a short trip away only pings', async () => {
    // suspendAfter well above event-loop jitter: a "short trip" must stay short on a busy machine
    const suspendAfter = 400;
    const h = make(gw.wsUrl, { suspendAfter, heartbeat: { interval: 60_000, pongTimeout: 1_000, maxMissed: 2 } });
    h.client.start();
    await ready(h);

    const pongs = () => h.in.filter((f) => f.type === 'pong').length;
    const pongsBefore = pongs(); // none: the heartbeat interval is a minute
    h.env.hideApp();
    h.env.showApp(); // back at once: the socket is probably fine — ask it
    assert.equal(h.env.sockets.length, 1, 'not replaced');
    await until(() => pongs() === pongsBefore + 1, 'the answer to the probe');
    assert.equal(h.env.sockets.length, 1, 'a healthy socket is kept');

    h.env.hideApp();
    h.env.sockets[0]!._silence(); // the platform suspended us: the socket is gone, silently
    // away longer than suspendAfter, without waiting for it: the hide happened that long ago
    h.client.hiddenAt -= suspendAfter + 50;
    const shownAt = Date.now();
    h.env.showApp();
    await ready(h, 2);
    assert.ok(Date.now() - shownAt < 1000, 'reconnected right away, not after a heartbeat');
    assert.equal(h.env.sockets.length, 2);
    h.client.chat('回来了');
    await until(() => h.finals().length === 1, 'an answer on the new socket');
    assert.equal(h.finals()[0].status, 'complete');
  });

  it('queues what is sent while reconnecting and flushes it after login', async () => {
    llm.setReply((body) => `答：${String(body.messages.at(-1)!.content)}`);
    const h = make(gw.wsUrl, { reconnect: { delay: 700, factor: 2, maxDelay: 700, jitter: 0 } });
    h.client.start();
    await ready(h);
    const sentBefore = llm.requests.length;
    dropAll(gw);
    await until(() => h.states.at(-1)!.state === 'waiting', 'the drop');
    const outBefore = h.out.length;
    const history = h.client.history(5);
    h.client.chat('排队的问题');
    // the client writes synchronously when it can; that it waited for the login is shown below
    assert.equal(h.out.length, outBefore, 'nothing written while disconnected');

    await until(() => h.finals().length === 1, 'the queued chat answered');
    assert.equal(h.finals()[0].text, '答：排队的问题');
    assert.ok(Array.isArray(plain(await history)));
    const after = h.out.slice(outBefore).map((f) => f.type);
    assert.deepEqual(after.slice(0, 3), ['login', 'history', 'chat'], 'login first, then the queue in order');
    assert.equal(llm.requests.length, sentBefore + 1, 'the question reached the model once');
  });

  it('backoff: an unreachable server is retried with growing, jittered, capped delays', async () => {
    const port = await freePort();
    const policy = { delay: 20, factor: 2, maxDelay: 120, jitter: 0.5 };
    const h = make(`ws://127.0.0.1:${port}/wechat/ws`, { reconnect: policy });
    h.client.start();
    await until(() => h.states.filter((s) => s.state === 'waiting').length >= 7, 'seven retries');
    h.client.stop();
    const { backoffRange } = h.env.require('lib/backoff.js');
    const waits = h.states.filter((s) => s.state === 'waiting');
    waits.forEach((w, n) => {
      const { min, max } = backoffRange(n, policy);
      assert.ok(w.delay! >= min && w.delay! <= max, `attempt ${n}: ${w.delay} ∉ [${min}, ${max}]`);
      assert.equal(w.attempt, n + 1);
    });
    assert.ok(waits.slice(4).every((w) => w.delay! <= policy.maxDelay), 'capped');
    // the real gaps between connection attempts honour the delays
    const connects = h.states.filter((s) => s.state === 'connecting');
    for (let n = 0; n + 1 < connects.length && n < waits.length; n++) {
      const gap = connects[n + 1]!.at - waits[n]!.at;
      // never early; late only by scheduling (generous: other tests may load the machine)
      assert.ok(gap >= waits[n]!.delay! - 2 && gap <= waits[n]!.delay! + 400, `gap ${gap} for delay ${waits[n]!.delay}`);
    }
    assert.equal(h.env.loginCodes.length, 0, 'no wx.login without a socket');
  });

  it('an expired session_id falls back to wx.login on the same socket', async () => {
    const h = make(gw.wsUrl, {}, { wag_session_id: 'expired-or-forged-session-id' });
    h.client.start();
    await ready(h);
    const logins = h.out.filter((f) => f.type === 'login');
    assert.deepEqual(logins.map((f) => Object.keys(f).filter((k) => k !== 'request_id' && k !== 'type')), [['session_id'], ['code']]);
    assert.notEqual(h.env.storage.get('wag_session_id'), 'expired-or-forged-session-id');
    assert.equal(h.env.sockets.length, 1);
  });

  it('a session that expires mid-session: the refused chat is asked again after a new wx.login, once', async () => {
    llm.setReply(() => '重新登录后回答。');
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    const sentBefore = llm.requests.length;
    await gw.stores.sessions.delete(h.env.storage.get('wag_session_id') as string); // expired server-side
    h.client.chat('会话过期后的问题');
    await until(() => h.finals().length === 1, 'the answer');
    assert.deepEqual([h.finals()[0].status, h.finals()[0].text], ['complete', '重新登录后回答。']);
    assert.equal(h.env.loginCodes.length, 2, 'a new wx.login code for the new session');
    assert.equal(h.in.find((f) => f.type === 'error')?.data.reason, 'session_expired');
    assert.equal(llm.requests.length, sentBefore + 1, 'the question reached the model once');
    assert.deepEqual(h.errors, [], 'handled without bothering the user');
  });

  it('cancel stops the answer; the partial text is what the user keeps', async () => {
    const full = '这个回答会在中途被停止。'.repeat(10);
    llm.setReply(() => full);
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    h.client.chat('说很多');
    await until(() => h.deltas().length >= 4, 'some deltas');
    assert.equal(await h.client.cancel(), true);
    await until(() => h.finals().length === 1, 'the cancelled answer');
    const final = h.finals()[0];
    assert.equal(final.status, 'cancelled');
    assert.ok(full.startsWith(final.text) && final.text.length < full.length);
    assert.equal(await h.client.cancel(), false, 'nothing left to cancel');
  });

  it('stop() ends a question still waiting in the queue (the server never saw it)', async () => {
    const port = await freePort();
    // no backoff: a reconnect, if stop() let one through, would be due at once
    const h = make(`ws://127.0.0.1:${port}/wechat/ws`, { reconnect: { delay: 0, factor: 1, maxDelay: 0, jitter: 0 } });
    h.client.chat('发不出去的问题'); // starts the client; nothing to connect to
    h.client.stop();
    assert.deepEqual(h.finals().map((a) => [a.status, a.error.reason, a.error.text]), [['failed', 'client_stopped', '连接已关闭']]);
    assert.equal(h.states.at(-1)!.state, 'stopped');
    // the socket's end is what would have scheduled a reconnect; then let due timers run
    await until(() => h.env.sockets[0]!._ws.readyState === WebSocket.CLOSED, 'the socket closed');
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(h.states.at(-1)!.state, 'stopped', 'no reconnect after stop()');
    assert.equal(h.env.sockets.length, 1);
  });

  it('local checks: empty, too long, one answer at a time — with Chinese toasts', async () => {
    llm.setReply(() => '慢慢说。'.repeat(20));
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    assert.equal(h.client.chat('   '), null);
    assert.equal(h.client.chat('长'.repeat(2001)), null);
    assert.ok(h.client.chat('一'));
    assert.equal(h.client.chat('二'), null);
    assert.deepEqual(h.errors.map((e) => [e.reason, e.text]), [
      ['empty_query', '请输入问题内容'],
      ['query_too_long', '问题太长，请精简后再发送'],
      ['chat_in_progress', '上一个回答还没结束'],
    ]);
    await until(() => h.finals().length === 1, 'the first answer');
  });

  it('a chat written into a silently dead socket is sent again after reconnecting, once', async () => {
    llm.setReply(() => '重新发送后的回答。');
    const h = make(gw.wsUrl);
    h.client.start();
    await ready(h);
    const sentBefore = llm.requests.length;
    h.env.sockets[0]!._silence();
    h.client.chat('没送到的问题'); // "sent" into the void
    await until(() => h.finals().length === 1, 'the answer after reconnecting', 10_000);
    assert.equal(h.finals()[0].text, '重新发送后的回答。');
    assert.equal(h.out.filter((f) => f.type === 'chat').length, 2, 'written twice');
    assert.equal(llm.requests.length, sentBefore + 1, 'asked once: history showed it had not arrived');
  });

  it('a chat the server answered while we could not hear it is taken from history, not asked again', async () => {
    llm.setReply(() => '服务器已经回答了。');
    const h = make(gw.wsUrl, { heartbeat: { interval: 400, pongTimeout: 80, maxMissed: 2 } });
    h.client.start();
    await ready(h);
    const sentBefore = llm.requests.length;
    h.client.chat('听不见回答的问题'); // reaches the server…
    h.env.sockets[0]!._silence(); // …but nothing comes back
    await until(() => h.finals().length === 1, 'the answer from history', 10_000);
    assert.deepEqual([h.finals()[0].text, h.finals()[0].status], ['服务器已经回答了。', 'complete']);
    assert.equal(h.out.filter((f) => f.type === 'chat').length, 1, 'not asked again');
    assert.equal(llm.requests.length, sentBefore + 1);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { freePort, spawnServer } from './support/spawn-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

const TOKEN = 'metrics-test-token-1234';
const auth = { authorization: `Bearer ${TOKEN}` };

let llm: FakeLlmServer;
before(async () => {
  llm = await startFakeLlmServer({ apiKey: 'test-key' });
});
after(() => llm.close());

/** `name{labels} value` lines of the Prometheus text format → value by series (comments skipped). */
function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { headers: auth });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

async function login(gw: RunningGateway, code: string): Promise<{ client: WsTestClient; openid: string }> {
  const client = await WsTestClient.connect(gw.wsUrl);
  await client.nextOf('connected');
  client.send({ type: 'login', code });
  const response = await client.nextOf('login_response');
  assert.equal(response.code, 0);
  return { client, openid: String(response.data.openid) };
}

/** A gateway with `env` and one WebSocket client logged in as `code`; both closed afterwards. */
async function withLoggedIn(
  env: Record<string, string>,
  code: string,
  test: (context: { gw: RunningGateway; client: WsTestClient; openid: string }) => Promise<void>,
): Promise<void> {
  const gw = await startGateway({ llm, env });
  try {
    const { client, openid } = await login(gw, code);
    await test({ gw, client, openid });
    client.socket.close();
    await client.closed;
  } finally {
    await gw.stop();
  }
}

/** A streamed chat; returns its final frame (chat_response or error). */
async function ask(client: WsTestClient, query: string): Promise<Frame> {
  const request_id = randomUUID();
  client.send({ type: 'chat', query, stream: true, request_id });
  for (;;) {
    const frame = await client.next();
    if (frame.request_id === request_id && (frame.type === 'chat_response' || frame.type === 'error')) return frame;
  }
}

describe('/metrics', () => {
  it('is off (404) when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    const gw = await startGateway({ llm });
    try {
      assert.equal((await fetch(`${gw.url}/metrics`)).status, 404);
      assert.equal(gw.app.metricsServer, undefined);
    } finally {
      await gw.stop();
    }
  });

  it('with METRICS_TOKEN: 401 without or with a wrong token, 200 with it', async () => {
    const gw = await startGateway({ llm, env: { METRICS_TOKEN: TOKEN } });
    try {
      const none = await fetch(`${gw.url}/metrics`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      const wrong = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(wrong.status, 401);
      assert.doesNotMatch(await wrong.text(), /wag_/);
      const series = await scrape(gw.url);
      assert.equal(series.get('wag_open_sockets'), 0);
      assert.ok(series.has('wag_nodejs_eventloop_lag_p99_seconds'), 'event-loop delay comes with the default metrics');
      // allocation on the JS heap, where this Node reports it (26+); never a made-up zero elsewhere
      const reported = typeof (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes === 'number';
      assert.equal(series.has('wag_nodejs_heap_allocated_bytes_total'), reported);
      if (reported) {
        const first = series.get('wag_nodejs_heap_allocated_bytes_total')!;
        assert.ok(first > 0);
        assert.ok((await scrape(gw.url)).get('wag_nodejs_heap_allocated_bytes_total')! > first, 'it grows: a scrape itself allocates');
      }
    } finally {
      await gw.stop();
    }
  });

  it('with METRICS_PORT: served there (token still checked), and the main port 404s it', async () => {
    const gw = await startGateway({ llm, env: { METRICS_TOKEN: TOKEN, METRICS_PORT: '0' } });
    try {
      await gw.app.metricsServer!.listen({ host: '127.0.0.1', port: 0 });
      const port = (gw.app.metricsServer!.server.address() as AddressInfo).port;
      const metricsUrl = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${gw.url}/metrics`, { headers: auth })).status, 404);
      assert.equal((await fetch(`${metricsUrl}/metrics`)).status, 401);
      assert.equal((await scrape(metricsUrl)).get('wag_open_sockets'), 0);
      assert.equal((await fetch(`${metricsUrl}/wechat/health`)).status, 404, 'the metrics port serves nothing else');
    } finally {
      await gw.stop();
    }
  });

  it('counts a login and a streamed chat: sockets, outcomes, first token, duration, tokens', async () => {
    await withLoggedIn({ METRICS_TOKEN: TOKEN }, 'metrics-user', async ({ gw, client }) => {
      const done = await ask(client, '你好');
      assert.equal(done.type, 'chat_response');
      const series = await scrape(gw.url);
      assert.equal(series.get('wag_open_sockets'), 1);
      assert.equal(series.get('wag_logins_total{outcome="ok"}'), 1);
      assert.equal(series.get('wag_chats_total{outcome="complete"}'), 1);
      assert.equal(series.get('wag_time_to_first_token_seconds_count'), 1);
      assert.equal(series.get('wag_answer_duration_seconds_count{outcome="complete"}'), 1);
      assert.ok(series.get('wag_model_tokens_total{direction="in"}')! > 0);
      assert.ok(series.get('wag_model_tokens_total{direction="out"}')! > 0);
      assert.equal(series.get('wag_chat_queue_depth'), 0);
      // the question and the answer went through SQLite group commits (the login's session too)
      assert.ok(series.get('wag_sqlite_committed_rows_total{batch="history"}')! >= 2);
      assert.ok(series.get('wag_sqlite_commit_seconds_count{batch="history"}')! >= 1);
      assert.ok(series.get('wag_sqlite_commit_seconds_count{batch="sessions"}')! >= 1);
      // a quiet gateway's WAL starts over without holding anyone's commits
      assert.equal(series.get('wag_sqlite_commit_hold_seconds_count'), 0);
      assert.ok(series.get('wag_sqlite_wal_bytes')! > 0, 'the WAL of the file the chat was written to');

      client.send({ type: 'login', session_id: 'no-such-session-0123456789' });
      assert.notEqual((await client.nextOf('login_response')).code, 0);
      const after = await scrape(gw.url);
      const failed = [...after.keys()].filter((key) => key.startsWith('wag_logins_total{') && !key.includes('"ok"'));
      assert.equal(failed.length, 1, `one failed-login series: ${failed.join()}`);
    });
  });

  it('a failed model call counts under its LlmError kind, and labels never carry an openid or IP', async () => {
    await withLoggedIn({ METRICS_TOKEN: TOKEN }, 'metrics-fault-user', async ({ gw, client, openid }) => {
      llm.pushFault({ status: 400, message: 'bad request' });
      const failed = await ask(client, '会失败的问题');
      assert.notEqual(failed.code, 0, JSON.stringify(failed));
      const series = await scrape(gw.url);
      assert.equal(series.get('wag_model_errors_total{kind="bad_request"}'), 1);
      assert.equal(series.get('wag_chats_total{outcome="failed"}'), 1);
      const text = (await (await fetch(`${gw.url}/metrics`, { headers: auth })).text());
      assert.equal(text.includes(openid), false);
      assert.doesNotMatch(text, /127\.0\.0\.1/);
      assert.doesNotMatch(text, /会失败/);
    });
  });

  it('a cancelled answer counts as cancelled', async () => {
    await withLoggedIn({ METRICS_TOKEN: TOKEN }, 'metrics-cancel-user', async ({ gw, client }) => {
      llm.pushFault({ hang: true });
      const asked = llm.requests.length;
      const request_id = randomUUID();
      client.send({ type: 'chat', query: '等一下', stream: true, request_id });
      await client.nextOf('chat_processing');
      // cancelled once the model has it: a request cancelled before it was sent would leave the
      // hang queued for the next test's request
      await until(() => llm.requests.length > asked, 'the model received the question');
      client.send({ type: 'cancel' });
      for (;;) {
        const frame = await client.next();
        if (frame.type === 'chat_response' && frame.request_id === request_id) break;
      }
      const series = await scrape(gw.url);
      assert.equal(series.get('wag_chats_total{outcome="cancelled"}'), 1);
      assert.equal(series.get('wag_answer_duration_seconds_count{outcome="cancelled"}'), 1);
    });
  });

  it('counts rate-limit refusals by limit and content checks by checker and verdict', async () => {
    await withLoggedIn({ METRICS_TOKEN: TOKEN, IP_LOGINS_PER_MINUTE: '1', CONTENT_SECURITY: 'input' }, 'metrics-limit-user', async ({ gw, client }) => {
      assert.equal((await ask(client, '你好')).code, 0);
      client.send({ type: 'login', code: 'metrics-limit-user-2' });
      assert.equal((await client.nextOf('login_response')).code, 429);
      const series = await scrape(gw.url);
      assert.equal(series.get('wag_rate_limited_total{limit="ip_login"}'), 1);
      assert.equal(series.get('wag_logins_total{outcome="login_rate_limited"}'), 1);
      assert.equal(series.get('wag_content_checks_total{checker="keywords",verdict="pass"}'), 1);
    });
  });

  it('the built server (dist/main.js) listens on METRICS_PORT before the main port answers', async () => {
    const metricsPort = await freePort();
    const server = await spawnServer({ METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN });
    try {
      assert.ok((await scrape(`http://127.0.0.1:${metricsPort}`)).has('wag_open_sockets'));
      assert.equal((await fetch(`${server.url}/metrics`, { headers: auth })).status, 404);
    } finally {
      await server.stop();
    }
  });
});

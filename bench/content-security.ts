/**
 * Content-security benchmark: what do the question check and the streaming answer check cost
 * the user? Time to first delta (TTFD), deltas per second while streaming, the tail between the
 * last delta and `chat_response` (the final check), and checks per answer — with content
 * security off, and on with a checker answering in 50 ms and in 400 ms (a developer reports
 * ~400 ms for WeChat's msgSecCheck).
 *
 * The checker is the production one (keyword list + msgSecCheck v2, built by the composition
 * root because WECHAT_APPID/SECRET are set) against the project's fake WeChat server answering
 * each check in 50 or 400 ms; "off" is the same gateway with CONTENT_SECURITY=off. Gateway,
 * fakes and load driver share this process (the model paces deltas with timers, so the figures
 * are latencies, not CPU limits).
 *
 *   npm run bench:content-security [-- --streams=20 --rounds=3 --pace=15]
 */
import { performance } from 'node:perf_hooks';
import { startFakeLlmServer } from '../test/support/fake-llm-server.js';
import { startGateway } from '../test/support/start-gateway.js';
import { startFakeWechatServer } from '../test/support/fake-wechat-server.js';
import { WsTestClient } from '../test/support/ws-test-client.js';
import { pct } from './percentile.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const STREAMS = arg('streams', 20);
const ROUNDS = arg('rounds', 3);
const PACE = arg('pace', 15);
/** ~500 characters in sentences of ~25, like a typical answer */
const ANSWER = Array.from({ length: 20 }, (_, i) => `这是回答的第${i + 1}句话，用来模拟一个普通长度的中文回答。`).join('');

interface Sample {
  ttfd: number;
  deltasPerSecond: number;
  tail: number;
  ok: boolean;
}

async function chatOnce(client: WsTestClient): Promise<Sample> {
  const start = performance.now();
  client.send({ type: 'chat', query: '请回答一个普通的问题', stream: true });
  const times: number[] = [];
  let text = '';
  for (;;) {
    const frame = await client.next(30_000);
    if (frame.type === 'chat_delta') {
      times.push(performance.now());
      text += frame.data.delta;
    } else if (frame.type === 'chat_response') {
      const end = performance.now();
      const span = (times.at(-1)! - times[0]!) / 1000;
      return { ttfd: times[0]! - start, deltasPerSecond: (times.length - 1) / span, tail: end - times.at(-1)!, ok: text === ANSWER && frame.data.msg === ANSWER };
    }
  }
}

async function run(label: string, latencyMs: number | undefined): Promise<string> {
  const llm = await startFakeLlmServer({ reply: () => ANSWER, deltaChars: 2, deltaLatencyMs: PACE });
  const wechat = await startFakeWechatServer({ secCheckLatencyMs: latencyMs ?? 0 });
  const gw = await startGateway({
    llm,
    wechat,
    env: {
      LOG_LEVEL: 'warn',
      CONTENT_SECURITY: latencyMs === undefined ? 'off' : 'both',
      LLM_MAX_CONCURRENCY: '1000',
      LLM_QUEUE_SIZE: '1000',
      WS_MAX_CONNECTIONS_PER_IP: '10000',
      IP_CONNECTIONS_PER_MINUTE: '0',
      IP_LOGINS_PER_MINUTE: '0',
      USER_CHATS_PER_MINUTE: '0',
    },
  });
  try {
    const clients = await Promise.all(Array.from({ length: STREAMS }, (_, i) => WsTestClient.loggedIn(gw.wsUrl, `bench_${label}_${i}`)));
    await Promise.all(clients.map(({ client }) => chatOnce(client))); // warm-up (JIT, connections, access token): not counted
    const checked = wechat.security.secCheckCalls;
    const samples: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) samples.push(...(await Promise.all(clients.map(({ client }) => chatOnce(client)))));
    for (const { client } of clients) await client.close();
    const answers = samples.length;
    const checks = (wechat.security.secCheckCalls - checked) / answers;
    const lost = samples.filter((s) => !s.ok).length;
    const cell = (values: number[], digits = 0) => `${pct(values, 50).toFixed(digits).padStart(6)} / ${pct(values, 99).toFixed(digits).padStart(6)}`;
    return `| ${label.padEnd(18)} | ${cell(samples.map((s) => s.ttfd))} | ${cell(samples.map((s) => s.deltasPerSecond), 1)} | ${cell(samples.map((s) => s.tail))} | ${checks.toFixed(1).padStart(5)} | ${lost}/${answers} |`;
  } finally {
    await gw.stop();
    await Promise.all([llm.close(), wechat.close()]);
  }
}

console.log(`${STREAMS} concurrent streams × ${ROUNDS} rounds; answer ${ANSWER.length} characters in ${ANSWER.length / 2} deltas paced at ${PACE} ms\n`);
console.log('| content security   | TTFD p50 / p99 ms | deltas/s p50 / p99 | tail p50 / p99 ms | checks/answer (incl. question) | lost |');
console.log('|--------------------|-------------------|--------------------|-------------------|-------|------|');
for (const [label, latency] of [['off', undefined], ['on, WeChat 50 ms', 50], ['on, WeChat 400 ms', 400]] as const) {
  console.log(await run(label, latency));
}
console.log('\nmsgSecCheck allows 4,000 calls a minute per AppID: 4,000 ÷ the checks/answer column = answers a minute it sustains.');
console.log('TTFD grows by one question check (the question must be checked before the model sees it); deltas are never held');
console.log('for a verdict, so deltas/s does not change; the tail is the final window\'s check before chat_response.');

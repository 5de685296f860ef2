import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { fakeEmbedding, startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from './fake-llm-server.js';

const servers: FakeLlmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const start = async (opts: FakeLlmOptions = {}) => {
  const s = await startFakeLlmServer(opts);
  servers.push(s);
  return s;
};
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((n, x, i) => n + x * b[i]!, 0);

describe('fake OpenAI-compatible server', () => {
  it('answers non-stream chat under a custom base path, with usage', async () => {
    const llm = await start({ basePath: '/compatible-mode/v1', apiKey: 'k' });
    assert.match(llm.baseUrl, /\/compatible-mode\/v1$/);
    const client = new OpenAI({ baseURL: llm.baseUrl, apiKey: 'k', maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '在吗' }] });
    assert.equal(res.choices[0]?.message.content, '收到：在吗');
    assert.equal(res.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(res.usage, { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
    assert.equal(llm.requests[0]?.path, '/compatible-mode/v1/chat/completions');
  });

  it('streams SSE the way OpenAI does: role chunk, deltas, finish, usage, [DONE]', async () => {
    const llm = await start();
    const res = await fetch(`${llm.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.equal(chunks.at(-1).usage.total_tokens, 2 + 5);
    assert.ok(chunks.slice(0, -1).every((c: { usage: unknown }) => c.usage === null));
  });

  it('rejects a wrong key with an OpenAI-style 401 that masks the key', async () => {
    const llm = await start({ apiKey: 'right-key' });
    const res = await fetch(`${llm.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-wrong-but-long-key' },
      body: '{}',
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'invalid_api_key');
    assert.ok(!JSON.stringify(body).includes('sk-wrong-but-long-key'));
  });

  it('serves deterministic, normalised embeddings (float and the SDK default base64)', async () => {
    const llm = await start({ embeddingDimensions: 32 });
    const client = new OpenAI({ baseURL: llm.baseUrl, apiKey: 'any', maxRetries: 0 });
    const res = await client.embeddings.create({ model: 'e', input: ['退款政策是什么', '退款政策说明', '今天天气很好'] });
    const [a, b, c] = res.data.map((d) => d.embedding);
    assert.equal(a!.length, 32);
    assert.ok(Math.abs(cosine(a!, a!) - 1) < 1e-5);
    assert.ok(cosine(a!, b!) > cosine(a!, c!), 'shared bigrams score higher');
    assert.equal(res.usage.prompt_tokens, 7 + 6 + 6);
    const raw = await fetch(`${llm.baseUrl}/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ input: '退款政策是什么', encoding_format: 'float', dimensions: 16 }),
    }).then((r) => r.json() as Promise<{ data: Array<{ embedding: number[] }> }>);
    assert.deepEqual(raw.data[0]?.embedding, fakeEmbedding('退款政策是什么', 16));
  });

  it('counts requests the client abandoned, but not the ones it cut itself', async () => {
    const llm = await start({ faults: [{ hang: true }, { cutAfterDeltas: 1 }] });
    const body = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(fetch(`${llm.baseUrl}/chat/completions`, { method: 'POST', body, signal: AbortSignal.timeout(50) }));
    await assert.rejects(fetch(`${llm.baseUrl}/chat/completions`, { method: 'POST', body }).then((r) => r.text()));
    await sleep(50);
    assert.equal(llm.abortedCount(), 1);
    assert.equal(llm.requests.length, 2);
  });

  it('plays scripted faults in order, then answers normally', async () => {
    const llm = await start({ faults: [{ status: 429, retryAfter: 7 }, { status: 500 }] });
    const post = () => fetch(`${llm.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [] }) });
    const first = await post();
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '7');
    assert.equal((await post()).status, 500);
    assert.equal((await post()).status, 200);
  });
});

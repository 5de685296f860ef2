import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fakeEmbedding, startFakeLlmServer } from '../../../test/support/fake-llm-server.js';
import { LlmError } from '../../llm/llm-error.js';
import { createOpenAiCompatibleEmbedder } from './openai-compatible-embedder.js';

const llm = await startFakeLlmServer({ apiKey: 'sk-test', embeddingDimensions: 16 });
after(() => llm.close());
const embedder = (extra = {}) =>
  createOpenAiCompatibleEmbedder({ baseUrl: llm.baseUrl, apiKey: 'sk-test', model: 'bge-m3', batchSize: 2, retryBaseMs: 5, ...extra });

test('batches inputs and returns one vector per input, in order', async () => {
  const before = llm.requests.length;
  const vectors = await embedder().embed(['一', '二', '三']);
  assert.equal(llm.requests.length - before, 2); // batches of 2
  assert.deepEqual(
    vectors.map((v) => Array.from(v)),
    ['一', '二', '三'].map((t) => Array.from(Float32Array.from(fakeEmbedding(t, 16)))),
  );
  const body = llm.requests.at(-1)!.body as { model?: string; input?: unknown };
  assert.equal(body.model, 'bge-m3');
  assert.equal(embedder().model, 'openai-compatible:bge-m3');
});

test('retries 429 honouring Retry-After, and 5xx', async () => {
  llm.pushFault({ status: 429, retryAfter: 0.05 });
  llm.pushFault({ status: 503 });
  const before = llm.requests.length;
  const started = Date.now();
  const [v] = await embedder().embed(['重试']);
  assert.equal(v?.length, 16);
  assert.equal(llm.requests.length - before, 3);
  assert.ok(Date.now() - started >= 45, 'waited for Retry-After');
});

test('does not retry a 4xx other than 429, and gives up after maxRetries', async () => {
  llm.pushFault({ status: 400, message: 'bad input' });
  let before = llm.requests.length;
  await assert.rejects(embedder().embed(['x']), (e: unknown) => LlmError.is(e) && e.kind === 'bad_request' && e.status === 400 && !e.isRetryable);
  assert.equal(llm.requests.length - before, 1);

  for (let i = 0; i < 3; i++) llm.pushFault({ status: 500 });
  before = llm.requests.length;
  await assert.rejects(embedder({ maxRetries: 2 }).embed(['x']), (e: unknown) => LlmError.is(e) && e.kind === 'upstream' && e.status === 500);
  assert.equal(llm.requests.length - before, 3);
});

test('shares the chat driver\'s retry policy: a Retry-After beyond the cap gives up at once', async () => {
  llm.pushFault({ status: 429, retryAfter: 120 });
  const before = llm.requests.length;
  await assert.rejects(embedder({ retryMaxMs: 1_000 }).embed(['x']), (e: unknown) => LlmError.is(e) && e.kind === 'rate_limited');
  assert.equal(llm.requests.length - before, 1);
});

test('a wrong key is a clear, non-retryable error', async () => {
  await assert.rejects(
    createOpenAiCompatibleEmbedder({ baseUrl: llm.baseUrl, apiKey: 'wrong', model: 'm' }).embed(['x']),
    (e: unknown) => LlmError.is(e) && e.status === 401 && /401/.test(e.message) && !e.message.includes('wrong'),
  );
});

test('a hung service times out', async () => {
  llm.pushFault({ hang: true });
  await assert.rejects(embedder({ timeoutMs: 100, maxRetries: 0 }).embed(['x']), /no answer within 100 ms/);
});

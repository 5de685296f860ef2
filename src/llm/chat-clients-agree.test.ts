import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from '../../test/support/fake-llm-server.js';
import type { ChatRequest, StreamPart } from './chat-model.js';
import { LlmError } from './llm-error.js';
import { OpenAiChatModel } from './openai-chat-model.js';

/**
 * The driver's two HTTP clients (lean node:http, and the `openai` SDK) must be
 * indistinguishable to the chat service: same parts, same error kinds and statuses, same
 * retries — the failures of both go through the one mapping.
 */
const KEY = 'sk-test-0123456789abcdef';
const servers: FakeLlmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const tools = [{ name: 'search_knowledge_base', description: 'search', parameters: { type: 'object', properties: {} } }];
const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: text }],
  signal: new AbortController().signal,
  ...extra,
});

/** Runs one scenario on a fresh fake server with the given client; what the caller could observe. */
async function observe(client: 'http' | 'sdk', fake: FakeLlmOptions, request: ChatRequest, key = KEY, timeoutMs = 10_000) {
  const llm = await startFakeLlmServer({ apiKey: KEY, ...fake });
  servers.push(llm);
  const model = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: key, model: 'm', httpClient: client, retryBaseDelayMs: 5, maxRetryDelayMs: 1_000, timeoutMs });
  const parts: StreamPart[] = [];
  let error: LlmError | undefined;
  try {
    for await (const part of model.stream(request)) parts.push(part);
  } catch (e) {
    assert.ok(LlmError.is(e), `expected LlmError, got ${String(e)}`);
    error = e;
    assert.ok(!e.message.includes(key) && !String(e.stack).includes(key), 'the key never appears in an error');
  }
  await model.close();
  return {
    text: parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join(''),
    types: [...new Set(parts.map((p) => p.type))],
    finish: parts.find((p) => p.type === 'finish'),
    error: error && { kind: error.kind, status: error.status, retryable: error.isRetryable },
    requests: llm.requests.length,
  };
}

const scenarios: Array<[string, FakeLlmOptions, ChatRequest, string?, number?]> = [
  ['a streamed answer with usage', {}, ask('你好')],
  ['tool calls', { reply: () => ({ toolCalls: [{ name: 'search_knowledge_base', arguments: { q: '退货' } }] }) }, ask('退货', { tools })],
  ['429 with a Retry-After above the cap', { faults: [{ status: 429, retryAfter: 120 }] }, ask('hi')],
  ['a 500 that persists', { faults: Array(5).fill({ status: 500 }) }, ask('hi')],
  ['a 503 once, then an answer', { faults: [{ status: 503 }] }, ask('hi')],
  ['a wrong key', {}, ask('hi'), 'sk-wrong-key-should-not-leak-42'],
  ['tools refused', { refuseTools: 'model does not support tools' }, ask('hi', { tools })],
  ['a stream cut after text', { faults: [{ cutAfterDeltas: 2 }] }, ask('一段比较长的问题')],
  ['a stream cut before text', { faults: [{ cutAfterDeltas: 0 }] }, ask('hi')],
  ['a hanging endpoint', { faults: Array(5).fill({ hang: true }) }, ask('hi'), undefined, 500],
];

describe('the lean HTTP client and the openai SDK client agree', () => {
  for (const [name, fake, request, key, timeoutMs] of scenarios) {
    it(name, async () => {
      const lean = await observe('http', fake, request, key, timeoutMs);
      const sdk = await observe('sdk', fake, request, key, timeoutMs);
      assert.deepEqual(lean, sdk);
    });
  }
});

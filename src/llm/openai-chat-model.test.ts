import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from '../../test/support/fake-llm-server.js';
import type { ChatRequest, StreamPart } from './chat-model.js';
import { LlmError } from './llm-error.js';
import { OpenAiChatModel, type OpenAiChatModelOptions } from './openai-chat-model.js';

const KEY = 'sk-test-0123456789abcdef';
const servers: FakeLlmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(fake: FakeLlmOptions = {}, model: Partial<OpenAiChatModelOptions> = {}) {
  const llm = await startFakeLlmServer({ apiKey: KEY, ...fake });
  servers.push(llm);
  // Small waits everywhere: tests must stay fast; bounds below are generous.
  const chat = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: KEY, model: 'fake-model', retryBaseDelayMs: 10, timeoutMs: 5_000, ...model });
  return { llm, chat };
}

const ask = (text: string, signal = new AbortController().signal): ChatRequest => ({
  messages: [{ role: 'system', content: '你是助手' }, { role: 'user', content: text }],
  signal,
});

/** Reads the whole stream; returns the parts seen and the error, if any. */
async function drain(stream: AsyncIterable<StreamPart>) {
  const parts: StreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts, error: undefined };
  } catch (error) {
    assert.ok(LlmError.is(error), `expected LlmError, got ${String(error)}`);
    return { parts, error };
  }
}

const textOf = (parts: StreamPart[]) => parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');

async function eventually(check: () => boolean, ms = 2_000) {
  for (const end = Date.now() + ms; !check(); await sleep(10)) if (Date.now() > end) assert.fail('condition not met in time');
}

describe('OpenAiChatModel against the fake OpenAI-compatible server', () => {
  it('streams text deltas in order, then one finish with usage', async () => {
    const { llm, chat } = await setup();
    const { parts, error } = await drain(chat.stream(ask('你好世界')));
    assert.equal(error, undefined);
    assert.ok(parts.filter((p) => p.type === 'text-delta').length > 1, 'answer arrives in several deltas');
    assert.equal(textOf(parts), '收到：你好世界');
    assert.deepEqual(parts.at(-1), { type: 'finish', reason: 'stop', usage: { promptTokens: 8, completionTokens: 7, totalTokens: 15 } });
    assert.equal(parts.filter((p) => p.type === 'finish').length, 1);
    const sent = llm.requests[0]!.body;
    assert.equal(sent.model, 'fake-model');
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    assert.deepEqual(sent.messages, [{ role: 'system', content: '你是助手' }, { role: 'user', content: '你好世界' }]);
    assert.equal(chat.name, 'openai-compatible:fake-model');
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    const { llm, chat } = await setup({ faults: [{ status: 429, retryAfter: 0.3 }] });
    const started = Date.now();
    const { parts, error } = await drain(chat.stream(ask('hi')));
    assert.equal(error, undefined);
    assert.equal(textOf(parts), '收到：hi');
    assert.ok(Date.now() - started >= 280, `waited ${Date.now() - started}ms`);
    assert.equal(llm.requests.length, 2);
  });

  it('gives up at once when Retry-After exceeds the cap', async () => {
    const { llm, chat } = await setup({ faults: [{ status: 429, retryAfter: 120 }] }, { maxRetryDelayMs: 1_000 });
    const { error } = await drain(chat.stream(ask('hi')));
    assert.equal(error?.kind, 'rate_limited');
    assert.equal(error?.status, 429);
    assert.equal(llm.requests.length, 1);
  });

  it('retries a 500, then succeeds', async () => {
    const { llm, chat } = await setup({ faults: [{ status: 500 }] });
    const { parts } = await drain(chat.stream(ask('hi')));
    assert.equal(textOf(parts), '收到：hi');
    assert.equal(llm.requests.length, 2);
  });

  it('fails with upstream after maxRetries when 500 persists', async () => {
    const { llm, chat } = await setup({ faults: Array(5).fill({ status: 500 }) }, { maxRetries: 2 });
    const { error } = await drain(chat.stream(ask('hi')));
    assert.equal(error?.kind, 'upstream');
    assert.equal(error?.status, 500);
    assert.equal(llm.requests.length, 3);
  });

  it('times out a hanging endpoint within the total deadline and closes the connection', async () => {
    const { llm, chat } = await setup({ faults: Array(5).fill({ hang: true }) }, { timeoutMs: 300 });
    const started = Date.now();
    const { error } = await drain(chat.stream(ask('hi')));
    assert.equal(error?.kind, 'timeout');
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started}ms`);
    await eventually(() => llm.abortedCount() === llm.requests.length);
  });

  it('retries when the first token does not come in time', async () => {
    const { llm, chat } = await setup({ faults: [{ hang: true }] }, { firstTokenTimeoutMs: 150 });
    const { parts, error } = await drain(chat.stream(ask('hi')));
    assert.equal(error, undefined);
    assert.equal(textOf(parts), '收到：hi');
    assert.equal(llm.requests.length, 2);
  });

  it('a stream cut after text was yielded fails with upstream and is not retried', async () => {
    const { llm, chat } = await setup({ faults: [{ cutAfterDeltas: 2 }] });
    const { parts, error } = await drain(chat.stream(ask('一段比较长的问题')));
    assert.equal(error?.kind, 'upstream');
    assert.equal(textOf(parts), '收到：一'); // two 2-char deltas
    assert.equal(llm.requests.length, 1);
  });

  it('a stream cut before any text is retried', async () => {
    const { llm, chat } = await setup({ faults: [{ cutAfterDeltas: 0 }] });
    const { parts, error } = await drain(chat.stream(ask('hi')));
    assert.equal(error, undefined);
    assert.equal(textOf(parts), '收到：hi');
    assert.equal(llm.requests.length, 2);
  });

  it('aborting the signal mid-stream closes the upstream connection', async () => {
    const { llm, chat } = await setup({ deltaLatencyMs: 30 });
    const caller = new AbortController();
    const parts: StreamPart[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of chat.stream(ask('请写一首很长很长很长的诗', caller.signal))) {
          parts.push(part);
          caller.abort();
        }
      })(),
      (e: unknown) => LlmError.is(e) && e.kind === 'aborted',
    );
    assert.equal(parts.length, 1);
    await eventually(() => llm.abortedCount() === 1);
    assert.equal(llm.requests.length, 1);
  });

  it('a caller that stops reading early also closes the upstream connection', async () => {
    const { llm, chat } = await setup({ deltaLatencyMs: 30 });
    for await (const part of chat.stream(ask('请写一首很长很长很长的诗'))) {
      assert.equal(part.type, 'text-delta');
      break;
    }
    await eventually(() => llm.abortedCount() === 1);
  });

  it('aborting during a retry wait ends the call promptly', async () => {
    const { chat } = await setup({ faults: [{ status: 503, retryAfter: 5 }] }, { maxRetryDelayMs: 10_000, timeoutMs: 30_000 });
    const started = Date.now();
    const { error } = await drain(chat.stream(ask('hi', AbortSignal.timeout(100))));
    assert.equal(error?.kind, 'aborted');
    assert.ok(Date.now() - started < 2_000);
  });

  it('a wrong API key is bad_request, not retried, and the key never appears in the error', async () => {
    const { llm } = await setup();
    const wrong = 'sk-wrong-key-should-not-leak-42';
    const chat = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: wrong, model: 'm' });
    const { error } = await drain(chat.stream(ask('hi')));
    assert.equal(error?.kind, 'bad_request');
    assert.equal(error?.status, 401);
    assert.equal(llm.requests.length, 0, '401 is answered before the request is recorded');
    const dump = JSON.stringify({ message: error?.message, stack: error?.stack, cause: String(error?.cause) });
    assert.ok(!dump.includes(wrong) && !dump.includes(KEY));
  });

  it('a request with tools refused by a model without function calling is tools_unsupported, not retried', async () => {
    const { llm, chat } = await setup({ refuseTools: 'registry.ollama.ai/library/gemma:2b does not support tools' });
    const tools = [{ name: 'search_knowledge_base', description: 'search', parameters: { type: 'object', properties: {} } }];
    const { error } = await drain(chat.stream({ ...ask('退货'), tools }));
    assert.equal(error?.kind, 'tools_unsupported');
    assert.equal(error?.isRetryable, false);
    assert.equal(llm.requests.length, 1);
    // the same server answers the same question without tools
    assert.equal((await drain(chat.stream(ask('退货')))).error, undefined);
  });

  it('a wrong API key on a request with tools is still bad_request', async () => {
    const { llm } = await setup();
    const chat = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: 'sk-wrong-key-0000000000', model: 'm' });
    const tools = [{ name: 'search_knowledge_base', description: 'search', parameters: { type: 'object', properties: {} } }];
    const { error } = await drain(chat.stream({ ...ask('hi'), tools }));
    assert.deepEqual([error?.kind, error?.status], ['bad_request', 401]);
  });

  it('assembles streamed tool calls into one tool-calls part', async () => {
    const { llm, chat } = await setup({
      reply: () => ({
        toolCalls: [
          { name: 'get_weather', arguments: { city: '北京', unit: 'celsius' } },
          { name: 'search_docs', arguments: '{"query":"退款政策"}' },
        ],
      }),
    });
    const tools = [{ name: 'get_weather', description: '天气', parameters: { type: 'object', properties: {} } }];
    const { parts, error } = await drain(chat.stream({ ...ask('北京天气'), tools, maxTokens: 256 }));
    assert.equal(error, undefined);
    assert.deepEqual(parts.map((p) => p.type), ['tool-calls', 'finish']);
    const calls = parts[0]!.type === 'tool-calls' ? parts[0]!.calls : [];
    assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.arguments)]), [
      ['get_weather', { city: '北京', unit: 'celsius' }],
      ['search_docs', { query: '退款政策' }],
    ]);
    assert.ok(calls.every((c) => c.id.startsWith('call_')));
    assert.equal(parts[1]!.type === 'finish' && parts[1]!.reason, 'tool_calls');
    const sent = llm.requests[0]!.body;
    assert.equal(sent.max_tokens, 256);
    assert.deepEqual(sent.tools, [{ type: 'function', function: tools[0] }]);
  });

  it('sends earlier tool calls and results back in OpenAI shape', async () => {
    const { llm, chat } = await setup();
    const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"北京"}' };
    await drain(
      chat.stream({
        signal: new AbortController().signal,
        messages: [
          { role: 'user', content: '北京天气' },
          { role: 'assistant', content: '', toolCalls: [call] },
          { role: 'tool', content: '晴', toolCallId: 'call_1' },
        ],
      }),
    );
    assert.deepEqual(llm.requests[0]!.body.messages?.slice(1), [
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"北京"}' } }] },
      { role: 'tool', content: '晴', tool_call_id: 'call_1' },
    ]);
  });
});

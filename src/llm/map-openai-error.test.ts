import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError } from './llm-error.js';
import { kindForStatus, mapOpenAiError } from './map-openai-error.js';

const apiError = (status: number | undefined, message: string) =>
  APIError.generate(status, { error: { message } }, undefined, new Headers());

describe('mapOpenAiError', () => {
  it('maps HTTP statuses onto our kinds', () => {
    assert.deepEqual([429, 408, 500, 503, 400, 401, 404].map(kindForStatus), [
      'rate_limited', 'timeout', 'upstream', 'upstream', 'bad_request', 'bad_request', 'bad_request',
    ]);
    const e = mapOpenAiError(apiError(429, 'slow down'));
    assert.equal(e.kind, 'rate_limited');
    assert.equal(e.status, 429);
  });

  it('lets our abort reason win over the SDK class', () => {
    const abort = new APIUserAbortError();
    assert.equal(mapOpenAiError(abort).kind, 'aborted');
    assert.equal(mapOpenAiError(abort, { abortedBy: 'caller' }).kind, 'aborted');
    assert.equal(mapOpenAiError(abort, { abortedBy: 'deadline' }).kind, 'timeout');
    assert.equal(mapOpenAiError(abort, { abortedBy: 'first-token' }).kind, 'timeout');
  });

  it('maps connection failures, stream errors and unknowns to upstream / timeout', () => {
    assert.equal(mapOpenAiError(new APIConnectionTimeoutError()).kind, 'timeout');
    assert.equal(mapOpenAiError(new APIConnectionError({ cause: new Error('ECONNREFUSED') })).kind, 'upstream');
    assert.equal(mapOpenAiError(apiError(undefined, 'overloaded mid-stream')).kind, 'upstream');
    assert.equal(mapOpenAiError(new TypeError('terminated')).kind, 'upstream');
    assert.equal(mapOpenAiError('weird').kind, 'upstream');
    const ours = new LlmError('timeout', 'x');
    assert.equal(mapOpenAiError(ours), ours);
  });

  it('never carries the API key, even when the server echoes it', () => {
    const key = 'my-provider-key-abcdef123456';
    const e = mapOpenAiError(apiError(401, `Invalid key ${key}; also sk-proj-AAAAAAAAAAAAAAAA`), { apiKey: key });
    assert.equal(e.kind, 'bad_request');
    assert.ok(!e.message.includes(key), e.message);
    assert.ok(!e.message.includes('sk-proj-AAAA'), e.message);
    assert.equal(e.cause, undefined);
  });
});

describe('tools_unsupported', () => {
  // Messages real servers send (see map-openai-error.ts)
  const refusals: Array<[number, string]> = [
    [400, 'registry.ollama.ai/library/gemma:2b does not support tools'],
    [400, 'deepseek-reasoner does not support Function Calling'],
    [400, "Unsupported parameter: 'tools' is not supported with this model."],
    [400, 'Unrecognized request argument supplied: tools'],
    [400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'],
    [500, 'tools param requires --jinja flag'],
  ];
  it('is raised only for a request that carried tools and was refused for that reason', () => {
    for (const [status, message] of refusals) {
      assert.equal(mapOpenAiError(apiError(status, message), { sentTools: true }).kind, 'tools_unsupported', message);
      assert.notEqual(mapOpenAiError(apiError(status, message)).kind, 'tools_unsupported', `${message} without tools`);
    }
  });
  it('a wrong key, a rate limit or another bad request stays what it is', () => {
    const others: Array<[number, string, string]> = [
      [401, 'Incorrect API key provided: sk-ab***wxyz. You can find your API key at …', 'bad_request'],
      [403, 'function calling is not enabled for your account', 'bad_request'],
      [429, 'Rate limit reached for tools', 'rate_limited'],
      [400, 'Missing `reasoning_content` field in the assistant message. See guides/thinking_mode#tool-calls', 'bad_request'],
      [400, "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'", 'bad_request'],
      [400, "This model's maximum context length is 8192 tokens", 'bad_request'],
    ];
    for (const [status, message, kind] of others) {
      const e = mapOpenAiError(apiError(status, message), { sentTools: true });
      assert.equal(e.kind, kind, message);
      assert.equal(e.isRetryable, kind === 'rate_limited');
    }
  });
});

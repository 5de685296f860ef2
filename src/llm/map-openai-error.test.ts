import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError } from './llm-error.js';
import { kindForStatus, mapOpenAiError, retryAfterMs } from './map-openai-error.js';

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

describe('retryAfterMs', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it('reads seconds, retry-after-ms and HTTP dates', () => {
    assert.equal(retryAfterMs(h({ 'retry-after': '3' })), 3_000);
    assert.equal(retryAfterMs(h({ 'retry-after': '0.25' })), 250);
    assert.equal(retryAfterMs(h({ 'retry-after-ms': '120', 'retry-after': '9' })), 120);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterMs(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5_000);
    assert.equal(retryAfterMs(h({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now), 0);
  });
  it('is undefined when absent or garbled', () => {
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs(h({})), undefined);
    assert.equal(retryAfterMs(h({ 'retry-after': 'soon' })), undefined);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imagePartsOf, startFakeLlmServer, type FakeLlmServer } from '../../test/support/fake-llm-server.js';
import type { ChatModel, ChatRequest } from './chat-model.js';
import { LlmError } from './llm-error.js';
import { mapLlmFailure } from './map-llm-failure.js';
import { OpenAiChatModel } from './openai-chat-model.js';
import { UpstreamFailure } from './upstream-failure.js';
import { routeVision } from './vision-routing-model.js';

const KEY = 'sk-test-0123456789abcdef';
// a 1×1 PNG
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const withImage = (): ChatRequest => ({
  messages: [{ role: 'system', content: '你是助手' }, { role: 'user', content: '这是什么？', parts: [{ type: 'image', mime: 'image/png', base64: PIXEL }] }],
  signal: new AbortController().signal,
});

async function drain(model: ChatModel, request: ChatRequest): Promise<LlmError | undefined> {
  try {
    for await (const _ of model.stream(request));
    return undefined;
  } catch (error) {
    assert.ok(LlmError.is(error));
    return error;
  }
}

describe('image content parts through both HTTP clients', () => {
  let llm: FakeLlmServer;
  before(async () => (llm = await startFakeLlmServer({ apiKey: KEY })));
  after(() => llm.close());

  for (const httpClient of ['http', 'sdk'] as const) {
    it(`${httpClient}: a user message with parts goes out as [text, image_url(data URL)]`, async () => {
      const model = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: KEY, model: 'vl', httpClient });
      assert.equal(await drain(model, withImage()), undefined);
      const body = llm.requests.at(-1)!.body;
      assert.deepEqual(body.messages![1]!.content, [
        { type: 'text', text: '这是什么？' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } },
      ]);
      assert.equal(body.messages![0]!.content, '你是助手', 'other messages keep plain string content');
      assert.deepEqual(imagePartsOf(body).map((i) => [i.mime, i.data.length]), [['image/png', Buffer.from(PIXEL, 'base64').length]]);
    });

    it(`${httpClient}: a model that refuses images is vision_unsupported, not retried`, async () => {
      llm.setRefuseImages('registry.ollama.ai/library/llama3 does not support images');
      try {
        const before = llm.requests.length;
        const model = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: KEY, model: 'text', httpClient, retryBaseDelayMs: 5 });
        const error = await drain(model, withImage());
        assert.deepEqual([error?.kind, error?.isRetryable], ['vision_unsupported', false]);
        assert.equal(llm.requests.length, before + 1);
      } finally {
        llm.setRefuseImages(undefined);
      }
    });
  }

  it('routeVision sends requests with images to the vision model, the rest to the chat model', async () => {
    const text = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: KEY, model: 'chat-model' });
    const vision = new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: KEY, model: 'vision-model' });
    const routed = routeVision(text, vision);
    await drain(routed, withImage());
    assert.equal(llm.requests.at(-1)!.body.model, 'vision-model');
    await drain(routed, { messages: [{ role: 'user', content: '你好' }], signal: new AbortController().signal });
    assert.equal(llm.requests.at(-1)!.body.model, 'chat-model');
    assert.equal(routeVision(text, text), text);
  });
});

describe('which refusals mean "no images"', () => {
  const refused = (status: number, detail: string) => mapLlmFailure(new UpstreamFailure('status', detail, status), { sentImages: true }).kind;
  it('recognises what providers answer for a text-only model', () => {
    for (const detail of [
      'Invalid content type. image_url is only supported by certain models.',
      'model does not support images',
      'Failed to deserialize the JSON body into the target type: messages[0]: unknown variant `image_url`, expected `text`',
      'Qwen2-7B is not a multimodal model',
    ]) assert.equal(refused(400, detail), 'vision_unsupported', detail);
  });
  it('keeps a wrong key, a rate limit, an overflow and requests without images as they are', () => {
    assert.equal(refused(401, 'image_url is only supported by certain models'), 'bad_request');
    assert.equal(refused(429, 'image not supported right now'), 'rate_limited');
    assert.equal(refused(400, "This model's maximum context length is 8192 tokens"), 'bad_request');
    assert.equal(mapLlmFailure(new UpstreamFailure('status', 'model does not support images', 400)).kind, 'bad_request');
  });
});

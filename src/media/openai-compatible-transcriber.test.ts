import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeLlmServer, type FakeLlmServer } from '../../test/support/fake-llm-server.js';
import { OpenAiCompatibleTranscriber } from './openai-compatible-transcriber.js';
import { TranscribeError } from './transcribe-error.js';

const KEY = 'sk-asr-0123456789abcdef';
let llm: FakeLlmServer;
before(async () => (llm = await startFakeLlmServer({ transcript: ' 退货政策是什么 ' })));
after(() => llm.close());

const file = { data: Buffer.from('RIFF fake wav bytes'), mime: 'audio/wav', filename: 'voice.wav' };
const make = (timeoutMs = 2_000) => new OpenAiCompatibleTranscriber({ baseURL: llm.baseUrl, apiKey: KEY, model: 'FunAudioLLM/SenseVoiceSmall', timeoutMs, language: 'zh' });
const kindOf = (kind: string) => (error: unknown) => TranscribeError.is(error) && error.kind === kind && !error.message.includes(KEY);

describe('OpenAiCompatibleTranscriber against the fake server', () => {
  it('uploads file + model as multipart and returns the trimmed text', async () => {
    assert.equal(await make().transcribe(file, new AbortController().signal), '退货政策是什么');
    const sent = llm.transcriptions.at(-1)!;
    assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual([sent.fields.model, sent.fields.language], ['FunAudioLLM/SenseVoiceSmall', 'zh']);
    assert.deepEqual([sent.file?.filename, sent.file?.contentType], ['voice.wav', 'audio/wav']);
    assert.ok(sent.file?.data.equals(file.data));
  });

  it('a hanging service is a timeout', async () => {
    llm.pushAsrFault({ hang: true });
    await assert.rejects(make(200).transcribe(file, new AbortController().signal), kindOf('timeout'));
  });

  it('an error status is failed, its body without our key', async () => {
    llm.pushAsrFault({ status: 500, message: `boom for ${KEY}` });
    await assert.rejects(make().transcribe(file, new AbortController().signal), kindOf('failed'));
  });

  it('a 200 that is no JSON transcript is garbage', async () => {
    llm.pushAsrFault({ garbage: true });
    await assert.rejects(make().transcribe(file, new AbortController().signal), kindOf('garbage'));
  });

  it('an unreachable service is failed', async () => {
    const dead = new OpenAiCompatibleTranscriber({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 2_000 });
    await assert.rejects(dead.transcribe(file, new AbortController().signal), kindOf('failed'));
  });
});
